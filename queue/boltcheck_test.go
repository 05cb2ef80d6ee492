package queue

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A queue.db shorter than its metadata says, or without a valid meta
// page, fails Open with a *CorruptError before bbolt maps it (a page
// read past the end of the file would fault, in whatever goroutine).
func TestOpenTruncatedStore(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, p string)
		corrupt bool
	}{
		{"intact", func(*testing.T, string) {}, false},
		{"empty file", func(t *testing.T, p string) { os.Truncate(p, 0) }, false},
		{"truncated to half its pages", func(t *testing.T, p string) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := readBoltMeta(f, 0)
			f.Close()
			os.Truncate(p, int64(m.pgid)*int64(m.pageSize)/2)
		}, true},
		{"first meta page damaged, second intact", func(t *testing.T, p string) {
			editFile(t, p, func(f *os.File) { f.WriteAt([]byte("xxxx"), boltPageHeader) })
		}, false},
		{"both meta pages damaged", func(t *testing.T, p string) {
			editFile(t, p, func(f *os.File) {
				f.WriteAt([]byte("xxxx"), boltPageHeader)
				f.WriteAt([]byte("xxxx"), 4096+boltPageHeader)
			})
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := openWAL(dir)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				id := ID(rune('A' + i%26))
				if err := s.Apply([]Op{{Kind: OpPutChunk, ID: id, Seq: uint32(i), Data: bytes.Repeat([]byte{'x'}, 64<<10)}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, StoreFile)
			tc.damage(t, p)
			err = checkBoltFile(p)
			var ce *CorruptError
			if tc.corrupt != errors.As(err, &ce) || !tc.corrupt && err != nil {
				t.Fatalf("checkBoltFile = %v, want corrupt %v", err, tc.corrupt)
			}
			if !tc.corrupt {
				return
			}
			if s, err := openWAL(dir); !errors.Is(err, ErrCorrupt) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("openWAL = %v, want ErrCorrupt", err)
			}
		})
	}
}
