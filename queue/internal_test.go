package queue

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// clone copies the store: what a crash at this instant would leave.
func (s *memStore) clone() *memStore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := newMemStore()
	maps.Copy(c.records, s.records)
	for id, m := range s.bodies {
		c.bodies[id] = maps.Clone(m)
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

func TestIDOrderAndShape(t *testing.T) {
	var g idGen
	now := time.Unix(1700000000, 0)
	prev := g.next(now)
	for i := range 10000 {
		at := now
		if i%3 == 0 {
			at = now.Add(-time.Second) // a clock stepping back must not reorder
		}
		id := g.next(at)
		if id <= prev || !id.Valid() {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
	if got := g.next(now.Add(time.Hour)).Time(); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("Time() = %v", got)
	}
}

func TestWALRecordRoundTrip(t *testing.T) {
	ops := []Op{
		{Kind: OpPutChunk, ID: "A", Seq: 7, Data: []byte("body")},
		{Kind: OpPutRecord, ID: "A", Data: []byte(`{"v":1}`)},
		{Kind: OpDelete, ID: "B"},
	}
	rec := encodeRecord(nil, 42, ops)
	got, err := decodeOps(rec[walHeader:])
	if err != nil || len(got) != 3 || got[0].Seq != 7 || !bytes.Equal(got[1].Data, ops[1].Data) || got[2].Kind != OpDelete {
		t.Fatalf("decodeOps = %+v, %v", got, err)
	}
}

func FuzzDecodeOps(f *testing.F) {
	f.Add(encodeRecord(nil, 1, []Op{{Kind: OpPutChunk, ID: "X", Data: []byte("abc")}})[walHeader:])
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 1, 255, 255})
	f.Fuzz(func(t *testing.T, p []byte) {
		ops, err := decodeOps(p)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same payload.
		if re := encodeRecord(nil, 0, ops)[walHeader:]; !bytes.Equal(re, p) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, p)
		}
	})
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
	store := newMemStore()
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
		crashed := store.clone()
		closeNow(q)
		store = crashed
	}
	panic("unreachable")
}
