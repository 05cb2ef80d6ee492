package walstore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hubedge/hubedge/queue/storage"
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
			s, err := openWAL(dir, storage.SystemClock{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				id := storage.ID(rune('A' + i%26))
				if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: id, Seq: uint32(i), Data: bytes.Repeat([]byte{'x'}, 64<<10)}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, StoreFile)
			tc.damage(t, p)
			err = checkBoltFile(p)
			var ce *storage.CorruptError
			if tc.corrupt != errors.As(err, &ce) || !tc.corrupt && err != nil {
				t.Fatalf("checkBoltFile = %v, want corrupt %v", err, tc.corrupt)
			}
			if !tc.corrupt {
				return
			}
			if s, err := openWAL(dir, storage.SystemClock{}); !errors.Is(err, storage.ErrCorrupt) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("openWAL = %v, want ErrCorrupt", err)
			}
		})
	}
}

// A store written before body checksums keeps its bodies: Open moves each
// chunk of the old "bodies" bucket to "chunks", sealed, and drops the old
// bucket.
func TestMigrateUncheckedBodies(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[storage.ID]string{"A": strings.Repeat("a", 300<<10), "B": "short b"}
	err = db.Update(func(tx *bolt.Tx) error {
		recs, _ := tx.CreateBucket(bucketRecords)
		bodies, _ := tx.CreateBucket(bucketBodies)
		for id, body := range want {
			recs.Put([]byte(id), []byte("rec"))
			for seq := 0; len(body) > 0; seq++ {
				n := min(len(body), storage.ChunkSize)
				bodies.Put(chunkKey(id, uint32(seq)), []byte(body[:n]))
				body = body[n:]
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := openBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, body := range want {
		rc, err := s.OpenBody(id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || string(got) != body {
			t.Errorf("%s after migration: %d bytes, %v", id, len(got), err)
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBodies) != nil {
			t.Error("old bodies bucket kept")
		}
		return nil
	})
}
