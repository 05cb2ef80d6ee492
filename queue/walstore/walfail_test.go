package walstore

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/queue/storage"
)

// After the bbolt applier failed, the log still holds batches that were
// acknowledged but never applied: Apply may move on to the other segment
// (it holds nothing bbolt lacks) but must fail rather than overwrite a
// segment bbolt lacks batches of, and a reopen must replay both segments.
func TestWALKeepsLogAfterApplyFailure(t *testing.T) {
	dir := t.TempDir()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	// bbolt fails from now on, as it would on a full disk.
	if err := s.db.(*boltStore).db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec A")}}); err != nil {
		t.Fatalf("logging A: %v", err)
	}
	// Segment 0 is full: B goes to segment 1, which bbolt needs nothing of.
	s.off = walSegmentSize
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "B", Data: []byte("rec B")}}); err != nil {
		t.Fatalf("logging B in the other segment: %v", err)
	}
	if s.cur != 1 {
		t.Fatalf("B logged in segment %d, want 1", s.cur)
	}
	// Segment 1 is full too: going back to segment 0 needs A in bbolt.
	s.off = walSegmentSize
	err = s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "C", Data: []byte("rec C")}})
	if !errors.Is(err, storage.ErrStoreFailed) {
		t.Errorf("Apply over a segment bbolt lacks: %v, want ErrStoreFailed", err)
	}
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "D", Data: []byte("rec D")}}); !errors.Is(err, storage.ErrStoreFailed) {
		t.Errorf("later Apply: %v, want ErrStoreFailed", err)
	}
	s.Close() // reports the failure; the log is kept for replay

	got := recordsOf(t, reopen(t, dir))
	if got["A"] != "rec A" || got["B"] != "rec B" || len(got) != 2 {
		t.Fatalf("after reopen: %v, want A and B", got)
	}
}

// Opening a fresh directory fsyncs it, so the names of the files just
// created survive a crash along with their contents.
func TestOpenSyncsDirectory(t *testing.T) {
	var synced []string
	orig := syncDir
	syncDir = func(dir string) error { synced = append(synced, dir); return orig(dir) }
	defer func() { syncDir = orig }()
	dir := t.TempDir()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(synced) == 0 || synced[0] != dir {
		t.Fatalf("directories synced: %v, want %s", synced, dir)
	}
}
