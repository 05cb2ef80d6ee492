package walstore_test

import (
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// TestCommitObserver: each commit is reported once, with the records it
// wrote or deleted (not its body chunks) and the time of its log sync.
func TestCommitObserver(t *testing.T) {
	type commit struct {
		records int
		sync    time.Duration
	}
	var got []commit
	s, err := walstore.Open(t.TempDir(), nil, walstore.WithCommitObserver(func(n int, d time.Duration) {
		got = append(got, commit{n, d})
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batches := []struct {
		ops  []storage.Op
		want int
	}{
		{[]storage.Op{
			{Kind: storage.OpPutChunk, ID: "A", Data: []byte("body")},
			{Kind: storage.OpPutChunk, ID: "A", Seq: 1, Data: []byte("more")},
			{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec")},
		}, 1},
		{[]storage.Op{
			{Kind: storage.OpPutChunk, ID: "B", Data: []byte("body")},
			{Kind: storage.OpPutRecord, ID: "B", Data: []byte("rec")},
			{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec2")},
			{Kind: storage.OpDeleteBody, ID: "A"},
		}, 3},
		{[]storage.Op{{Kind: storage.OpDelete, ID: "A"}, {Kind: storage.OpDelete, ID: "B"}}, 2},
	}
	for i, b := range batches {
		if err := s.Apply(b.ops); err != nil {
			t.Fatal(err)
		}
		if len(got) != i+1 {
			t.Fatalf("after %d commits the observer saw %d", i+1, len(got))
		}
		if c := got[i]; c.records != b.want || c.sync <= 0 {
			t.Errorf("commit %d: observed %d records in %v; want %d and a positive sync time", i, c.records, c.sync, b.want)
		}
	}
}
