package queuetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/storage"
)

// StoreOpener opens the stores TestStore checks.
type StoreOpener struct {
	// Open returns a new, empty store. TestStore closes it.
	Open func(t *testing.T) queue.Store
	// Crash abandons s as the death of its process would, without Close,
	// and returns the store opened again on what s made durable. Nil
	// for a store that does not outlive its process: the durability
	// checks are then skipped.
	Crash func(t *testing.T, s queue.Store) queue.Store
}

// TestStore runs a Store through the contract of storage.Store: batches
// applied whole and in order, reads that see every returned Apply, record
// and body order, chunked bodies read back intact although the caller
// reuses the chunk buffers, deletes, ErrNotFound, durability across a
// crash, and concurrent body reads during Apply. Run it from the store's
// own tests:
//
//	func TestConformance(t *testing.T) {
//		queuetest.TestStore(t, queuetest.StoreOpener{Open: openMine, Crash: crashMine})
//	}
func TestStore(t *testing.T, o StoreOpener) {
	t.Run("Atomicity", func(t *testing.T) { storeAtomicity(t, o) })
	t.Run("Order", func(t *testing.T) { storeOrder(t, o) })
	t.Run("Bodies", func(t *testing.T) { storeBodies(t, o) })
	t.Run("Deletes", func(t *testing.T) { storeDeletes(t, o) })
	t.Run("Durability", func(t *testing.T) {
		if o.Crash == nil {
			t.Skip("the store does not outlive its process")
		}
		storeDurability(t, o)
	})
	t.Run("Concurrent", func(t *testing.T) { storeConcurrent(t, o) })
}

func openStore(t *testing.T, o StoreOpener) *storeRef {
	r := &storeRef{s: o.Open(t)}
	t.Cleanup(func() {
		if err := r.s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// storeRef is the store a test uses, replaced by Crash.
type storeRef struct{ s queue.Store }

func apply(t *testing.T, s queue.Store, ops ...queue.Op) {
	t.Helper()
	if err := s.Apply(ops); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func putRecord(id queue.ID, rec string) queue.Op {
	return queue.Op{Kind: queue.OpPutRecord, ID: id, Data: []byte(rec)}
}

// putChunks returns the ops storing body in chunks of size, each in a
// buffer with the spare capacity the queue leaves, and the buffers.
func putChunks(id queue.ID, body []byte, size int) (ops []queue.Op, bufs [][]byte) {
	for seq := 0; len(body) > 0; seq++ {
		n := min(size, len(body))
		buf := make([]byte, n, n+storage.ChunkRoom)
		copy(buf, body[:n])
		ops = append(ops, queue.Op{Kind: queue.OpPutChunk, ID: id, Seq: uint32(seq), Data: buf})
		bufs = append(bufs, buf)
		body = body[n:]
	}
	return ops, bufs
}

func records(t *testing.T, s queue.Store) (ids []queue.ID, recs map[queue.ID]string) {
	t.Helper()
	recs = map[queue.ID]string{}
	err := s.Records(func(id queue.ID, rec []byte) error {
		ids = append(ids, id)
		recs[id] = string(rec)
		return nil
	})
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	return ids, recs
}

func bodies(t *testing.T, s queue.Store) []queue.ID {
	t.Helper()
	var ids []queue.ID
	if err := s.Bodies(func(id queue.ID) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatalf("Bodies: %v", err)
	}
	return ids
}

func readBody(s queue.Store, id queue.ID) ([]byte, error) {
	rc, err := s.OpenBody(id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func wantBody(t *testing.T, s queue.Store, id queue.ID, want []byte) {
	t.Helper()
	got, err := readBody(s, id)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("body of %s: %d bytes (want %d), equal %v, err %v", id, len(got), len(want), bytes.Equal(got, want), err)
	}
}

// A batch lands whole: the chunks and records of several messages and
// the delete of another, applied together, are all seen at once, and after
// a crash too.
func storeAtomicity(t *testing.T, o StoreOpener) {
	r := openStore(t, o)
	apply(t, r.s, putRecord("OLD", "old"))
	var batch []queue.Op
	want := map[queue.ID][]byte{}
	for i := range 3 {
		id := queue.ID(fmt.Sprintf("M%d", i))
		want[id] = bytes.Repeat([]byte{byte('0' + i)}, storage.ChunkSize+100*i)
		ops, _ := putChunks(id, want[id], storage.ChunkSize)
		batch = append(append(batch, ops...), putRecord(id, "rec "+string(id)))
	}
	batch = append(batch, queue.Op{Kind: queue.OpDelete, ID: "OLD"})
	apply(t, r.s, batch...)
	check := func(when string) {
		t.Helper()
		ids, recs := records(t, r.s)
		if !slices.Equal(ids, []queue.ID{"M0", "M1", "M2"}) || recs["M2"] != "rec M2" {
			t.Fatalf("Records %s = %v, want M0 M1 M2 and no OLD", when, recs)
		}
		for id, body := range want {
			wantBody(t, r.s, id, body)
		}
	}
	check("after Apply")
	if o.Crash != nil {
		r.s = o.Crash(t, r.s)
		check("after a crash")
	}
}

// The ops of a batch apply in order, later batches after earlier ones,
// and Records and Bodies list IDs in order whatever the order of arrival.
func storeOrder(t *testing.T, o StoreOpener) {
	s := openStore(t, o).s
	apply(t, s, putRecord("C", "c1"), putRecord("A", "a1"), putRecord("A", "a2"))
	apply(t, s, putRecord("B", "b1"), queue.Op{Kind: queue.OpDelete, ID: "C"}, putRecord("C", "c2"))
	ops, _ := putChunks("Z", []byte("z"), 1)
	more, _ := putChunks("Y", []byte("y"), 1)
	apply(t, s, append(ops, more...)...)
	ids, recs := records(t, s)
	if !slices.Equal(ids, []queue.ID{"A", "B", "C"}) || recs["A"] != "a2" || recs["B"] != "b1" || recs["C"] != "c2" {
		t.Fatalf("Records = %v %v, want A=a2 B=b1 C=c2 in that order", ids, recs)
	}
	if got := bodies(t, s); !slices.Equal(got, []queue.ID{"Y", "Z"}) {
		t.Fatalf("Bodies = %v, want [Y Z]", got)
	}
}

// A body of many chunks, the last one short, reads back whole, although
// every chunk buffer is overwritten once Apply returns (the queue reuses
// them); a chunk rewritten later replaces the earlier one.
func storeBodies(t *testing.T, o StoreOpener) {
	s := openStore(t, o).s
	body := make([]byte, 3*storage.ChunkSize+1000)
	for i := range body {
		body[i] = byte(i * 7 / 5)
	}
	ops, bufs := putChunks("M", body, storage.ChunkSize)
	apply(t, s, ops[:2]...)
	apply(t, s, append(ops[2:], putRecord("M", "rec"))...)
	for _, b := range bufs {
		for i := range b[:cap(b)] {
			b[:cap(b)][i] = 'X'
		}
	}
	wantBody(t, s, "M", body)

	small, _ := putChunks("S", []byte("first version"), storage.ChunkSize)
	apply(t, s, small...)
	again, _ := putChunks("S", []byte("second"), storage.ChunkSize)
	apply(t, s, again...)
	wantBody(t, s, "S", []byte("second"))

	apply(t, s, putRecord("E", "no body"))
	wantBody(t, s, "E", nil)
	if _, err := readBody(s, "nothing"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("OpenBody of an unknown ID: %v, want ErrNotFound", err)
	}
}

// OpDeleteBody keeps the record; OpDelete removes record and body.
func storeDeletes(t *testing.T, o StoreOpener) {
	s := openStore(t, o).s
	for _, id := range []queue.ID{"A", "B"} {
		ops, _ := putChunks(id, []byte("body of "+id), 4)
		apply(t, s, append(ops, putRecord(id, "rec "+string(id)))...)
	}
	apply(t, s, queue.Op{Kind: queue.OpDeleteBody, ID: "A"}, queue.Op{Kind: queue.OpDelete, ID: "B"})
	if _, recs := records(t, s); len(recs) != 1 || recs["A"] != "rec A" {
		t.Fatalf("Records after the deletes = %v, want only A", recs)
	}
	if got := bodies(t, s); len(got) != 0 {
		t.Fatalf("Bodies after the deletes = %v, want none", got)
	}
	wantBody(t, s, "A", nil)
	if _, err := readBody(s, "B"); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("OpenBody of a deleted message: %v, want ErrNotFound", err)
	}
}

// What Apply returned survives a crash, batches whole: one put and
// deleted before the crash stays deleted, and the store goes on taking
// writes after it.
func storeDurability(t *testing.T, o StoreOpener) {
	r := openStore(t, o)
	body := bytes.Repeat([]byte("durable body\r\n"), storage.ChunkSize/7)
	ops, _ := putChunks("A", body, storage.ChunkSize)
	apply(t, r.s, append(ops, putRecord("A", "rec A"))...)
	apply(t, r.s, putRecord("B", "rec B"))
	apply(t, r.s, queue.Op{Kind: queue.OpDelete, ID: "B"}, putRecord("C", "rec C"))
	r.s = o.Crash(t, r.s)
	if _, recs := records(t, r.s); len(recs) != 2 || recs["A"] != "rec A" || recs["C"] != "rec C" {
		t.Fatalf("Records after a crash = %v, want A and C", recs)
	}
	wantBody(t, r.s, "A", body)
	apply(t, r.s, putRecord("D", "rec D"))
	r.s = o.Crash(t, r.s)
	if _, recs := records(t, r.s); len(recs) != 3 || recs["D"] != "rec D" {
		t.Fatalf("Records after a second crash = %v, want A, C and D", recs)
	}
}

// Body reads run alongside Apply: readers of settled bodies see them
// whole while one goroutine (as the queue's committer) keeps applying.
func storeConcurrent(t *testing.T, o StoreOpener) {
	s := openStore(t, o).s
	const n = 8
	want := map[queue.ID][]byte{}
	for i := range n {
		id := queue.ID(fmt.Sprintf("R%02d", i))
		want[id] = bytes.Repeat([]byte{byte('a' + i)}, 3000*(i+1))
		ops, _ := putChunks(id, want[id], 1024)
		apply(t, s, append(ops, putRecord(id, "rec"))...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for id, body := range want {
		wg.Go(func() {
			for range 20 {
				got, err := readBody(s, id)
				if err != nil || !bytes.Equal(got, body) {
					errs <- fmt.Errorf("body of %s: %d bytes, err %v", id, len(got), err)
					return
				}
			}
		})
	}
	for i := range 50 {
		id := queue.ID(fmt.Sprintf("W%03d", i))
		ops, _ := putChunks(id, []byte("written meanwhile"), 5)
		apply(t, s, append(ops, putRecord(id, "rec"))...)
		if i%2 == 1 {
			apply(t, s, queue.Op{Kind: queue.OpDelete, ID: id})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ids, _ := records(t, s); len(ids) != n+25 {
		t.Fatalf("%d records after the concurrent writes, want %d", len(ids), n+25)
	}
}
