package queue

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue/memstore"
)

// contents returns every record and body s holds.
func contents(t *testing.T, s Store) (recs, bodies map[ID]string) {
	t.Helper()
	recs, bodies = map[ID]string{}, map[ID]string{}
	err := errors.Join(
		s.Records(func(id ID, rec []byte) error { recs[id] = string(rec); return nil }),
		s.Bodies(func(id ID) error {
			rc, err := s.OpenBody(id)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			bodies[id] = string(b)
			return err
		}))
	if err != nil {
		t.Fatal(err)
	}
	return recs, bodies
}

// snapshot copies s into a new memory store: what a crash at this instant
// would leave.
func snapshot(t *testing.T, s Store) *memstore.Store {
	t.Helper()
	recs, bodies := contents(t, s)
	var ops []Op
	for id, b := range bodies {
		ops = append(ops, Op{Kind: OpPutChunk, ID: id, Data: []byte(b)})
	}
	for id, r := range recs {
		ops = append(ops, Op{Kind: OpPutRecord, ID: id, Data: []byte(r)})
	}
	c := memstore.New()
	if err := c.Apply(ops); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPoison crashes (by snapshotting the store) twice while a message's
// body is being delivered: the second restart must put it, suspended, in
// Poison.
func TestPoison(t *testing.T) {
	entered := make(chan struct{}, 1)
	block := DelivererFunc(func(ctx context.Context, _ NextHop, msg *Message, _ []Recipient) ([]Result, error) {
		rc, err := msg.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	q, id := crashDuring(t, block, entered, 2)
	mi, err := q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if mi.Status != MessageSuspended || mi.Crashes != 2 || len(mi.Queues) != 1 || mi.Queues[0] != QueuePoison || !mi.Expires.IsZero() {
		t.Fatalf("after two crashes: %+v", mi)
	}
	if err := q.SuspendMessage(id); err == nil {
		t.Error("suspending a poison message must fail")
	}
	if err := q.ResumeMessage(id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("resumed poison message was not delivered")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	r := record{V: recordVersion, Env: Envelope{From: "a@b", Recipients: []Recipient{{Address: "c@d"}}}, Rcpts: make([]rcptState, 1)}
	f.Add(r.encode())
	f.Add([]byte(`{"v":1,"env":{"rcpts":[]},"rs":[{}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord("X", b)
		if err != nil {
			return
		}
		if len(rec.Rcpts) != len(rec.Env.Recipients) || rec.V != recordVersion {
			t.Fatalf("invariants broken: %+v", rec)
		}
		if _, err := decodeRecord("X", rec.encode()); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}

// A crash during an attempt that never opened the body (still connecting,
// say) is not the message's fault and does not count toward Poison.
func TestCrashBeforeBodyOpenNotCounted(t *testing.T) {
	entered := make(chan struct{}, 1)
	block := DelivererFunc(func(ctx context.Context, _ NextHop, _ *Message, _ []Recipient) ([]Result, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	q, id := crashDuring(t, block, entered, 3)
	waitEntered(t, entered) // delivered again, not held in Poison
	mi, err := q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if mi.Crashes != 0 || slices.Contains(mi.Queues, QueuePoison) {
		t.Fatalf("after three crashes before the body was opened: %+v", mi)
	}
}

func waitEntered(t *testing.T, entered <-chan struct{}) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery attempt")
	}
}

// crashDuring enqueues a message on a memory store, then, crashes times,
// crashes (snapshots the store) while block holds its delivery attempt and
// reopens the queue on what a crash would leave. It returns the last queue,
// closed at the end of the test, and the message's ID.
func crashDuring(t *testing.T, block Deliverer, entered <-chan struct{}, crashes int) (*Queue, ID) {
	t.Helper()
	route := RouterFunc(func(context.Context, *Envelope, Recipient) (NextHop, error) {
		return NextHop{Kind: "SmartHostConnectorDelivery", Connector: "out", Domain: "relay.contoso.com"}, nil
	})
	closeNow := func(q *Queue) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the Deliverer blocks until cancelled
		q.Close(ctx)
	}
	store := memstore.New()
	var id ID
	for crash := 0; crash <= crashes; crash++ {
		q, err := OpenStore(store, WithRouter(route), WithDeliverer(block))
		if err != nil {
			t.Fatal(err)
		}
		if crash == 0 {
			id, err = q.Enqueue(context.Background(), Envelope{From: "a@contoso.com", Recipients: []Recipient{{Address: "b@fabrikam.com"}}}, strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
		}
		if crash == crashes {
			t.Cleanup(func() { closeNow(q) })
			return q, id
		}
		waitEntered(t, entered)
		crashed := snapshot(t, store)
		closeNow(q)
		store = crashed
	}
	panic("unreachable")
}
