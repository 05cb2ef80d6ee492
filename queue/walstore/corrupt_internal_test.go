package walstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue/storage"
)

// crashWAL stops s as a crash would: the applier ends, the log is not
// invalidated, and both files are closed.
func crashWAL(s *walStore) {
	s.stop()
	s.segs[0].Close()
	s.segs[1].Close()
	s.db.Close()
}

// crashedLog logs n one-record batches in dir and crashes; it returns the
// offsets where the records start and end.
func crashedLog(t *testing.T, dir string, n int) (starts []int64, end int64) {
	t.Helper()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		starts = append(starts, s.off)
		id := storage.ID(fmt.Sprintf("M%02d", i))
		if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: id, Data: bytes.Repeat([]byte{'b'}, 300)},
			{Kind: storage.OpPutRecord, ID: id, Data: []byte("record " + id)}}); err != nil {
			t.Fatal(err)
		}
	}
	end = s.off
	crashWAL(s)
	return starts, end
}

func editFile(t *testing.T, p string, edit func(f *os.File)) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	edit(f)
}

// Replay tells a torn tail (the record being written when the process
// died: never acknowledged) from damage, which fails Open with a
// *CorruptError and leaves the log as it found it, instead of dropping
// every acknowledged record after the damaged one.
func TestReplayCorruptLog(t *testing.T) {
	const n = 20
	cases := []struct {
		name    string
		damage  func(t *testing.T, p string, starts []int64, end int64)
		corrupt bool
		want    int // at least this many records after a successful open (bbolt may hold the torn one)
	}{
		{"clean crash", func(*testing.T, string, []int64, int64) {}, false, n},
		{"torn tail: last 3 bytes zeroed", func(t *testing.T, p string, _ []int64, end int64) {
			editFile(t, p, func(f *os.File) { f.WriteAt(make([]byte, 3), end-3) })
		}, false, n - 1},
		{"grow interrupted: zeros past the last step", func(t *testing.T, p string, _ []int64, _ int64) {
			editFile(t, p, func(f *os.File) {
				st, err := f.Stat()
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt(make([]byte, 4096), st.Size())
			})
		}, false, n},
		{"byte flipped in the first record", func(t *testing.T, p string, s []int64, _ int64) {
			editFile(t, p, func(f *os.File) { f.WriteAt([]byte{0xff, 0x00, 0x5a}, (s[0]+s[1])/2) })
		}, true, 0},
		{"epoch of a middle record flipped", func(t *testing.T, p string, s []int64, _ int64) {
			editFile(t, p, func(f *os.File) { f.WriteAt([]byte{0x5a}, s[5]+9) })
		}, true, 0},
		{"first header overwritten", func(t *testing.T, p string, _ []int64, _ int64) {
			editFile(t, p, func(f *os.File) { f.WriteAt([]byte("garbage"), 0) })
		}, true, 0},
		{"truncated inside the first record", func(t *testing.T, p string, s []int64, _ int64) {
			os.Truncate(p, (s[0]+s[1])/2)
		}, true, 0},
		{"truncated past the data, inside the allocation", func(t *testing.T, p string, _ []int64, end int64) {
			os.Truncate(p, end+100)
		}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			starts, end := crashedLog(t, dir, n)
			p := filepath.Join(dir, WALFile)
			tc.damage(t, p, starts, end)
			before, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s, err := openWAL(dir, storage.SystemClock{})
			if tc.corrupt {
				var ce *storage.CorruptError
				if !errors.As(err, &ce) || !errors.Is(err, storage.ErrCorrupt) || ce.File != p || !strings.HasPrefix(err.Error(), "queue: ") {
					if err == nil {
						s.Close()
					}
					t.Fatalf("openWAL = %v, want a *CorruptError for %s", err, p)
				}
				if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
					t.Error("a refused open changed the log")
				}
				return
			}
			if err != nil {
				t.Fatalf("openWAL: %v", err)
			}
			defer s.Close()
			got := 0
			if err := s.Records(func(storage.ID, []byte) error { got++; return nil }); err != nil {
				t.Fatal(err)
			}
			if got < tc.want || got > n {
				t.Errorf("%d records after replay, want %d or more", got, tc.want)
			}
		})
	}
}

// validRecordAfter finds a record past a window boundary and ignores
// records of other epochs.
func TestValidRecordAfter(t *testing.T) {
	rec := encodeRecord(nil, 7, []storage.Op{{Kind: storage.OpPutRecord, ID: "X", Data: []byte("x")}})
	img := make([]byte, 3<<20)
	copy(img[(1<<20)-5:], rec) // straddles the first window's end
	for _, tc := range []struct {
		epoch uint64
		want  bool
	}{{7, true}, {8, false}} {
		got, err := validRecordAfter(bytes.NewReader(img), 1, int64(len(img)), tc.epoch)
		if err != nil || got != tc.want {
			t.Errorf("epoch %d: %v %v, want %v", tc.epoch, got, err, tc.want)
		}
	}
	binary.LittleEndian.PutUint32(img[(1<<20)-5+4:], 0) // break its checksum
	if got, _ := validRecordAfter(bytes.NewReader(img), 1, int64(len(img)), 7); got {
		t.Error("a record with a bad checksum counted as valid")
	}
}

// encodeRecord is the log record holding ops, built in memory.
func encodeRecord(b []byte, epoch uint64, ops []storage.Op) []byte {
	var w memWriterAt
	if _, _, err := writeRecord(&w, 0, epoch, ops, nil, nil); err != nil {
		panic(err)
	}
	return append(b, w...)
}

type memWriterAt []byte

func (m *memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(*m) {
		*m = append(*m, make([]byte, need-len(*m))...)
	}
	return copy((*m)[off:], p), nil
}

// A record mixing op data written directly (large) and gathered (small)
// reads back whole and checksummed, the buffer kept stays small, and each
// chunk's reference finds its data.
func TestWriteRecordLargeOps(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (3*directWrite)/16+5)
	ops := []storage.Op{{Kind: storage.OpPutChunk, ID: "B", Data: big}, {Kind: storage.OpPutRecord, ID: "B", Data: []byte("rec")}}
	for i := range 300 { // small ops past maxWriteBuf in all
		ops = append(ops, storage.Op{Kind: storage.OpPutChunk, ID: "S", Seq: uint32(i), Data: bytes.Repeat([]byte{byte(i)}, 4<<10)})
	}
	var w memWriterAt
	buf, refs, err := writeRecord(&w, 0, 9, ops, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunks := 0
	for _, op := range ops {
		if op.Kind != storage.OpPutChunk {
			continue
		}
		ref := refs[chunks]
		chunks++
		data := w[ref.off : ref.off+int64(ref.n)]
		if !bytes.Equal(data, op.Data) || crc32.Checksum(data, crcTable) != ref.sum {
			t.Fatalf("chunk %s/%d: reference %+v does not find its data", op.ID, op.Seq, ref)
		}
	}
	if chunks != len(refs) {
		t.Fatalf("%d references for %d chunks", len(refs), chunks)
	}
	if int64(len(w)) != recordSize(ops) || cap(buf) > maxWriteBuf {
		t.Fatalf("record of %d bytes (want %d), buffer kept %d", len(w), recordSize(ops), cap(buf))
	}
	if ok, err := validRecordAt(bytes.NewReader(w), 0, int64(len(w)), 9); !ok || err != nil {
		t.Fatalf("record not valid: %v", err)
	}
	got, err := decodeOps(w[walHeader:])
	if err != nil || len(got) != len(ops) || !bytes.Equal(got[0].Data, big) {
		t.Fatalf("decoded %d ops, %v", len(got), err)
	}
	for i := range ops {
		if got[i].ID != ops[i].ID || got[i].Seq != ops[i].Seq || !bytes.Equal(got[i].Data, ops[i].Data) {
			t.Fatalf("op %d differs", i)
		}
	}
}
