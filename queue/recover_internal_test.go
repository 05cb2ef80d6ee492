package queue

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue/memstore"
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
			store := memstore.New()
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
			if err := store.Apply([]Op{{Kind: OpPutRecord, ID: bad, Data: []byte(tc.rec)}}); err != nil {
				t.Fatal(err)
			}
			beforeRecs, beforeBodies := contents(t, store)

			_, err = OpenStore(store)
			var re *RecordError
			if !errors.As(err, &re) || re.ID != bad || !strings.HasPrefix(err.Error(), "queue: ") {
				t.Fatalf("OpenStore = %v, want a *RecordError for %s", err, bad)
			}
			recs, bodies := contents(t, store)
			for _, id := range []ID{good, bad} {
				if bodies[id] != beforeBodies[id] || bodies[id] == "" {
					t.Errorf("body of %s removed by a failed open", id)
				}
				if recs[id] != beforeRecs[id] {
					t.Errorf("record of %s changed by a failed open", id)
				}
			}
		})
	}
}

// Orphan bodies (no record at all: the process died before the record
// committed) are still swept.
func TestRecoverSweepsOrphanBodies(t *testing.T) {
	store := memstore.New()
	store.Apply([]Op{{Kind: OpPutChunk, ID: "orphan", Data: []byte("x")}})
	q, err := OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	if _, bodies := contents(t, store); bodies["orphan"] != "" {
		t.Error("orphan body kept")
	}
}
