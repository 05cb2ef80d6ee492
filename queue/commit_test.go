package queue

import (
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue/memstore"
)

// countStore counts the transactions that reach a store.
type countStore struct {
	Store
	mu  sync.Mutex
	txs int
}

func (c *countStore) Apply(ops []Op) error {
	c.mu.Lock()
	c.txs++
	c.mu.Unlock()
	return c.Store.Apply(ops)
}

func (c *countStore) counts() (txs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs
}

// A lazy request joins the next commit that someone waits for, and alone
// it is committed within lazyDelay.
func TestCommitterLazy(t *testing.T) {
	c := &countStore{Store: memstore.New()}
	com := newCommitter(c, 0)
	defer com.close()
	lazy := com.submitLazy([]Op{{Kind: OpPutRecord, ID: "a", Data: []byte("1")}})
	if err := com.commit(Op{Kind: OpPutRecord, ID: "b", Data: []byte("2")}); err != nil {
		t.Fatal(err)
	}
	select { // with it, or before it if its timer fired first
	case <-lazy.done:
	default:
		t.Fatal("a durable commit left an earlier lazy request behind")
	}
	before := c.counts()
	alone := com.submitLazy([]Op{{Kind: OpPutRecord, ID: "c", Data: []byte("3")}})
	select {
	case <-alone.done:
	case <-time.After(10 * time.Second):
		t.Fatal("a lazy request alone was never committed")
	}
	if txs := c.counts(); txs != before+1 {
		t.Fatalf("%d commits for the lone lazy request, want 1", txs-before)
	}
}

// A reader that falls back to bbolt mid-body, because the segment of its
// first chunks started over, waits until bbolt has the last chunk too,
// which is still young in the other segment.
// The group commit delay holds only the commit after a shared one, and
// Close cuts it short.
func TestCommitterDelay(t *testing.T) {
	c := &countStore{Store: memstore.New()}
	com := newCommitter(c, time.Hour)
	start := time.Now()
	if err := com.commit(Op{Kind: OpPutRecord, ID: "a", Data: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if err := com.commit(Op{Kind: OpPutRecord, ID: "b", Data: []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("lone callers waited %v", d)
	}
	// Two requests in one batch: the loop now waits its hour, which Close
	// must cut short, committing what arrived meanwhile.
	com.mu.Lock()
	r1 := &commitReq{ops: []Op{{Kind: OpPutRecord, ID: "c", Data: []byte("3")}}, done: make(chan struct{})}
	r2 := &commitReq{ops: []Op{{Kind: OpPutRecord, ID: "d", Data: []byte("4")}}, done: make(chan struct{})}
	com.pending = append(com.pending, r1, r2)
	com.mu.Unlock()
	com.poke()
	if err := r2.wait(); err != nil {
		t.Fatal(err)
	}
	late := com.submit([]Op{{Kind: OpPutRecord, ID: "e", Data: []byte("5")}})
	closed := make(chan struct{})
	go func() { com.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited out the commit delay")
	}
	if err := late.wait(); err != nil {
		t.Fatal(err)
	}
}
