package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A record that cannot be decoded (corrupt, or written by a newer version)
// makes OpenStore fail with a *RecordError naming it, and the store is left
// untouched: neither that message's body nor any other record is removed.
func TestRecoverRefusesUnreadableRecord(t *testing.T) {
	cases := []struct {
		name string
		rec  string
	}{
		{"bad JSON", `{"v":k,`},
		{"newer version", `{"v":99,"env":{"rcpts":[{"addr":"b@fabrikam.com"}]},"rs":[{}]}`},
		{"recipient count mismatch", `{"v":1,"env":{"rcpts":[{"addr":"b@fabrikam.com"}]},"rs":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore()
			q, err := OpenStore(store)
			if err != nil {
				t.Fatal(err)
			}
			env := Envelope{From: "a@contoso.com", Recipients: []Recipient{{Address: "b@fabrikam.com"}}}
			good, err := q.Enqueue(context.Background(), env, strings.NewReader("good body"))
			if err != nil {
				t.Fatal(err)
			}
			bad, err := q.Enqueue(context.Background(), env, strings.NewReader("bad body"))
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			store.records[bad] = []byte(tc.rec)
			before := store.clone()

			_, err = OpenStore(store)
			var re *RecordError
			if !errors.As(err, &re) || re.ID != bad || !strings.HasPrefix(err.Error(), "queue: ") {
				t.Fatalf("OpenStore = %v, want a *RecordError for %s", err, bad)
			}
			for _, id := range []ID{good, bad} {
				if len(store.bodies[id]) != len(before.bodies[id]) || len(store.bodies[id]) == 0 {
					t.Errorf("body of %s removed by a failed open", id)
				}
				if string(store.records[id]) != string(before.records[id]) {
					t.Errorf("record of %s changed by a failed open", id)
				}
			}
		})
	}
}

// Orphan bodies (no record at all: the process died before the record
// committed) are still swept.
func TestRecoverSweepsOrphanBodies(t *testing.T) {
	store := newMemStore()
	store.Apply([]Op{{Kind: OpPutChunk, ID: "orphan", Data: []byte("x")}})
	q, err := OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	store.mu.RLock()
	defer store.mu.RUnlock()
	if _, ok := store.bodies["orphan"]; ok {
		t.Error("orphan body kept")
	}
}
