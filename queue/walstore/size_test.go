package walstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/walstore"
)

// An almost empty queue directory stays small: its files start at 1 MiB
// and grow with what they hold.
func TestSmallDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := walstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := []queue.Op{{Kind: queue.OpPutChunk, ID: "A", Data: []byte("a small body")}, {Kind: queue.OpPutRecord, ID: "A", Data: []byte("rec")}}
	if err := s.Apply(ops); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, name := range []string{walstore.WALFile, walstore.WALFile + ".1", walstore.StoreFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, st.Size())
		total += st.Size()
	}
	if total > 4<<20 {
		t.Fatalf("an almost empty directory takes %d bytes, want at most 4 MiB", total)
	}
}
