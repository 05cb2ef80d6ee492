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

// A grow cut short by a crash leaves a segment between two allocation
// sizes, zeros past the last whole one. The log must count only the whole
// step as allocated and grow again before writing there; otherwise the
// records it writes into the tail make the next open report the segment
// truncated.
func TestReopenAfterInterruptedGrow(t *testing.T) {
	dir := t.TempDir()
	apply := func(id queue.ID, chunks int) {
		t.Helper()
		s, err := walstore.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ops []queue.Op
		for i := range chunks {
			ops = append(ops, queue.Op{Kind: queue.OpPutChunk, ID: id, Seq: uint32(i), Data: make([]byte, 200<<10)})
		}
		if err := s.Apply(append(ops, queue.Op{Kind: queue.OpPutRecord, ID: id, Data: []byte("rec")})); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	apply("A", 1)
	for _, name := range []string{walstore.WALFile, walstore.WALFile + ".1"} {
		// 1 MiB allocated, then half of the grow to 2 MiB.
		if err := os.Truncate(filepath.Join(dir, name), 3<<19); err != nil {
			t.Fatal(err)
		}
	}
	// 1.2 MiB of log: past the whole 1 MiB, inside the cut grow.
	apply("B", 6)
	s, err := walstore.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen after writing past an interrupted grow: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
