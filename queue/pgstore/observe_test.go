package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/storage"
)

// TestCommitObserver: each committed Apply is reported once, with the
// message records it wrote or deleted (not its body chunks) and a
// positive round trip; one the server aborts is not reported.
func TestCommitObserver(t *testing.T) {
	type commit struct {
		records int
		took    time.Duration
	}
	var seen []commit // Apply calls the observer before it returns
	dsn := pgtest.Shared(t).NewDB(t)
	s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: dsn, Hub: "hub1",
		CommitObserver: func(records int, took time.Duration) { seen = append(seen, commit{records, took}) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applies := []struct {
		ops  []storage.Op
		want int
	}{
		{[]storage.Op{
			{Kind: storage.OpPutChunk, ID: "M1", Seq: 0, Data: []byte("body")},
			{Kind: storage.OpPutRecord, ID: "M1", Data: []byte("rec")},
			{Kind: storage.OpPutRecord, ID: "M2", Data: []byte("rec")},
		}, 2},
		{[]storage.Op{{Kind: storage.OpDeleteBody, ID: "M1"}, {Kind: storage.OpDelete, ID: "M2"}}, 2},
	}
	for i, a := range applies {
		if err := s.Apply(a.ops); err != nil {
			t.Fatal(err)
		}
		if len(seen) != i+1 || seen[i].records != a.want || seen[i].took <= 0 {
			t.Fatalf("after Apply %d: observed %+v, want %d records in a positive time", i, seen, a.want)
		}
	}
	// A transaction the server aborts (hub2 writing hub1's message) is
	// not reported.
	refused := 0
	s2, err := pgstore.Open(context.Background(), pgstore.Config{DSN: dsn, Hub: "hub2",
		CommitObserver: func(int, time.Duration) { refused++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "M1", Data: []byte("rec")}}); !errors.Is(err, storage.ErrNotOwned) {
		t.Fatalf("hub2 writing hub1's message: %v, want ErrNotOwned", err)
	}
	if refused != 0 {
		t.Errorf("an aborted transaction was observed %d times", refused)
	}
}
