package walstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
)

func TestCoalesce(t *testing.T) {
	rec := func(id storage.ID, d string) storage.Op {
		return storage.Op{Kind: storage.OpPutRecord, ID: id, Data: []byte(d)}
	}
	chunk := func(id storage.ID, seq uint32) storage.Op {
		return storage.Op{Kind: storage.OpPutChunk, ID: id, Seq: seq, Data: []byte("x")}
	}
	del := func(id storage.ID) storage.Op { return storage.Op{Kind: storage.OpDelete, ID: id} }
	delBody := func(id storage.ID) storage.Op { return storage.Op{Kind: storage.OpDeleteBody, ID: id} }
	tests := []struct {
		name     string
		in, want []storage.Op
	}{
		{"delivered within the batch", []storage.Op{chunk("a", 0), rec("a", "1"), rec("a", "2"), del("a")}, []storage.Op{del("a")}},
		{"newest record wins", []storage.Op{rec("a", "1"), chunk("b", 0), rec("a", "2")}, []storage.Op{chunk("b", 0), rec("a", "2")}},
		{"chunks before DeleteBody", []storage.Op{chunk("a", 0), chunk("a", 1), delBody("a"), rec("a", "1")}, []storage.Op{delBody("a"), rec("a", "1")}},
		{"puts after a delete stay", []storage.Op{del("a"), rec("a", "1"), chunk("a", 0)}, []storage.Op{del("a"), rec("a", "1"), chunk("a", 0)}},
		{"other IDs untouched", []storage.Op{chunk("a", 0), rec("b", "1"), del("a")}, []storage.Op{rec("b", "1"), del("a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := coalesce(slices.Clone(tt.in))
			if !slices.EqualFunc(got, tt.want, func(a, b storage.Op) bool {
				return a.Kind == b.Kind && a.ID == b.ID && a.Seq == b.Seq && string(a.Data) == string(b.Data)
			}) {
				t.Fatalf("coalesce = %v, want %v", got, tt.want)
			}
		})
	}
}

// A body is readable at once from the log, before bbolt has it, and from
// bbolt once the log has overwritten it; a deleted body is gone from both.
func TestWALOpenBodyBeforeApply(t *testing.T) {
	s, err := openWAL(t.TempDir(), storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ops := []storage.Op{{Kind: storage.OpPutChunk, ID: "m1", Seq: 0, Data: []byte("hello, ")},
		{Kind: storage.OpPutChunk, ID: "m1", Seq: 1, Data: []byte("world")},
		{Kind: storage.OpPutRecord, ID: "m1", Data: []byte("rec")}}
	if err := s.Apply(ops); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		rc, err := s.OpenBody("m1")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(); got != "hello, world" {
		t.Fatalf("from the log: %q", got)
	}
	// bbolt catches up, and the log moves on to segment 1 and back to
	// segment 0: the body is read from bbolt.
	for _, id := range []storage.ID{"x", "y"} {
		if err := s.sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: id, Data: []byte("rec")}}); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	_, indexed := s.mem["m1"]
	s.mu.Unlock()
	if indexed {
		t.Fatal("body still indexed after its segment started over")
	}
	if got := read(); got != "hello, world" {
		t.Fatalf("from bbolt: %q", got)
	}
	if err := s.Apply([]storage.Op{{Kind: storage.OpDelete, ID: "m1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenBody("m1"); err != storage.ErrNotFound {
		t.Fatalf("deleted body: err %v, want ErrNotFound", err)
	}
}

// countStore counts the transactions that reach the store beneath the log.
type countStore struct {
	storage.Store
	mu  sync.Mutex
	txs int
	ops int
}

func (c *countStore) Apply(ops []storage.Op) error {
	c.mu.Lock()
	c.txs++
	c.ops += len(ops)
	c.mu.Unlock()
	return c.Store.Apply(ops)
}

func (c *countStore) counts() (txs, ops int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs, c.ops
}

func openCounted(t *testing.T, dir string) (*walStore, *countStore) {
	t.Helper()
	db, err := openBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &countStore{Store: db}
	s, err := startWAL(dir, c, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// A message logged and deleted before the applier looks at it costs bbolt
// nothing, not even a transaction; one that outlives the log's restart
// reaches bbolt, and so does its later delete.
func TestWALShortLivedMessagesSkipStore(t *testing.T) {
	s, c := openCounted(t, t.TempDir())
	defer s.Close()
	msg := func(id storage.ID) []storage.Op {
		return []storage.Op{{Kind: storage.OpPutChunk, ID: id, Data: []byte("body of " + string(id))}, {Kind: storage.OpPutRecord, ID: id, Data: []byte("rec")}}
	}
	for _, ops := range [][]storage.Op{msg("A"), msg("B"), {{Kind: storage.OpDelete, ID: "A"}}} {
		if err := s.Apply(ops); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if txs, ops := c.counts(); txs != 1 || ops != 2 {
		t.Fatalf("store got %d transactions, %d ops; want 1 with B's two puts only", txs, ops)
	}
	if err := s.Apply([]storage.Op{{Kind: storage.OpDelete, ID: "B"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if txs, ops := c.counts(); txs != 2 || ops != 3 {
		t.Fatalf("store got %d transactions, %d ops; want B's delete as a second", txs, ops)
	}
	if _, err := s.OpenBody("B"); err != storage.ErrNotFound {
		t.Fatalf("deleted body: %v", err)
	}
}

// A reader of a body in the log goes on from bbolt when its segment starts
// over under it and newer records overwrite the chunks it was reading.
func TestWALBodyReaderSurvivesRestart(t *testing.T) {
	s, _ := openCounted(t, t.TempDir())
	defer s.Close()
	body := bytes.Repeat([]byte("0123456789abcdef"), 3*storage.ChunkSize/16)
	var ops []storage.Op
	for i := range 3 {
		ops = append(ops, storage.Op{Kind: storage.OpPutChunk, ID: "M", Seq: uint32(i), Data: body[i*storage.ChunkSize : (i+1)*storage.ChunkSize]})
	}
	if err := s.Apply(append(ops, storage.Op{Kind: storage.OpPutRecord, ID: "M", Data: []byte("rec")})); err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenBody("M")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, storage.ChunkSize+10)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	// bbolt catches up, and the log moves on to segment 1 and back to
	// segment 0, over M's chunks.
	uses := s.uses[0].Load()
	junk := bytes.Repeat([]byte{'X'}, 3*storage.ChunkSize)
	for _, id := range []storage.ID{"N", "O"} {
		if err := s.sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: id, Data: junk}}); err != nil {
			t.Fatal(err)
		}
	}
	if s.uses[0].Load() == uses {
		t.Fatal("segment 0 did not start over")
	}
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes across the restart, differing from the %d written", len(got), len(body))
	}
}

// A chunk damaged in the log is reported, never delivered.
func TestWALBodyChecksum(t *testing.T) {
	s, _ := openCounted(t, t.TempDir())
	defer s.Close()
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: "M", Data: []byte("an intact body")}}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	ref := s.mem["M"].chunks[0]
	s.mu.Unlock()
	if _, err := s.segs[ref.seg].WriteAt([]byte("A"), ref.off); err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenBody("M")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("damaged chunk read with err %v, want ErrCorrupt", err)
	}
}

// Left to itself, the applier takes aged batches in slices: messages
// delivered soon after arrival, many batches of them, cost bbolt nothing.
func TestWALApplierAgedSlices(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the applier's delay")
	}
	s, c := openCounted(t, t.TempDir())
	defer s.Close()
	for i := range 200 {
		id := storage.ID(fmt.Sprintf("m%03d", i))
		if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: id, Data: []byte("body")}, {Kind: storage.OpPutRecord, ID: id, Data: []byte("rec")}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply([]storage.Op{{Kind: storage.OpDelete, ID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(3 * applyDelay)
	for {
		s.mu.Lock()
		done := s.applied == s.written
		s.mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the applier did not take the aged batches")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline, not synchronisation
	}
	if txs, ops := c.counts(); txs != 0 {
		t.Fatalf("bbolt got %d transactions (%d ops) for messages that were gone before it", txs, ops)
	}
}

// A crash with both segments holding batches bbolt lacks replays them
// older first, whichever file that is; a newer update or delete wins.
func TestWALReplayTwoSegments(t *testing.T) {
	rec := func(id storage.ID, v string) storage.Op {
		return storage.Op{Kind: storage.OpPutRecord, ID: id, Data: []byte(v)}
	}
	for _, switches := range []int{1, 2} { // newest in segment 1, then in segment 0
		t.Run(fmt.Sprintf("%d switches", switches), func(t *testing.T) {
			dir := t.TempDir()
			s, g := gatedWAL(t, dir)        // bbolt takes nothing
			for i := 1; i < switches; i++ { // an empty round trip through the other segment
				s.off = walSegmentSize
				if err := s.Apply([]storage.Op{rec("pad", "x")}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Apply([]storage.Op{rec("A", "old"), rec("B", "kept")}); err != nil {
				t.Fatal(err)
			}
			s.off = walSegmentSize // full: the next batch goes to the other segment
			if err := s.Apply([]storage.Op{rec("A", "new"), {Kind: storage.OpDelete, ID: "B"}}); err != nil {
				t.Fatal(err)
			}
			if want := switches % 2; s.cur != want {
				t.Fatalf("newest batch in segment %d, want %d", s.cur, want)
			}
			close(g.release)
			crashWAL(s)

			got := recordsOf(t, reopen(t, dir))
			if got["A"] != "new" || len(got) != 1+min(switches-1, 1) {
				t.Fatalf("after replay: %v, want A=new and no B", got)
			}
		})
	}
}

// Segments whose generations are not consecutive cannot be ordered: Open
// refuses them rather than guess.
func TestWALSegmentsOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	s, g := gatedWAL(t, dir)
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	s.off = walSegmentSize
	s.gen += 5 // the next segment skips generations
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "B", Data: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	crashWAL(s)
	if s, err := openWAL(dir, storage.SystemClock{}); !errors.Is(err, storage.ErrCorrupt) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("openWAL = %v, want ErrCorrupt", err)
	}
}

// A body whose first chunks were in a segment the log has since overwritten
// and whose last chunk is still only in the log is read from bbolt, but
// only once bbolt has that last chunk too.
func TestWALBodySpanningSegments(t *testing.T) {
	s, _ := openCounted(t, t.TempDir())
	defer s.Close()
	chunk := func(seq uint32, d string) storage.Op {
		return storage.Op{Kind: storage.OpPutChunk, ID: "M", Seq: seq, Data: []byte(d)}
	}
	if err := s.Apply([]storage.Op{chunk(0, "first "), chunk(1, "part, ")}); err != nil {
		t.Fatal(err)
	}
	// Two switches: segment 1, then segment 0 again, over M's first chunks.
	for _, id := range []storage.ID{"x", "y"} {
		if err := s.sync(); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: id, Data: []byte("rec")}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Apply([]storage.Op{chunk(2, "last part"), {Kind: storage.OpPutRecord, ID: "M", Data: []byte("rec")}}); err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenBody("M")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || string(b) != "first part, last part" {
		t.Fatalf("body %q, %v", b, err)
	}
}

func TestWALFallbackWaitsForLastChunk(t *testing.T) {
	s, _ := openCounted(t, t.TempDir())
	defer s.Close()
	chunk := func(seq uint32, d string) storage.Op {
		return storage.Op{Kind: storage.OpPutChunk, ID: "M", Seq: seq, Data: []byte(d)}
	}
	if err := s.Apply([]storage.Op{chunk(0, "first "), chunk(1, "part, ")}); err != nil {
		t.Fatal(err)
	}
	s.off = walSegmentSize // full: the rest goes to segment 1
	if err := s.Apply([]storage.Op{chunk(2, "last part"), {Kind: storage.OpPutRecord, ID: "M", Data: []byte("rec")}}); err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenBody("M")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, len("first "))
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	// Segment 1 is full too: back to segment 0 (bbolt takes only its
	// batch) and over M's second chunk.
	s.off = walSegmentSize
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutChunk, ID: "N", Data: bytes.Repeat([]byte{'X'}, 4096)}}); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rc)
	if got := string(first) + string(rest); err != nil || got != "first part, last part" {
		t.Fatalf("body %q, %v", got, err)
	}
}

// Close empties the older segment first: a crash before the newer one is
// emptied leaves the newer batches, whose replay changes nothing, and never
// the older ones alone, whose replay would bring back what the newer ones
// deleted.
func TestWALInvalidateOlderFirst(t *testing.T) {
	dir := t.TempDir()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(id storage.ID) storage.Op {
		return storage.Op{Kind: storage.OpPutRecord, ID: id, Data: []byte("rec " + id)}
	}
	if err := s.Apply([]storage.Op{rec("A"), rec("B")}); err != nil {
		t.Fatal(err)
	}
	s.off = walSegmentSize
	if err := s.Apply([]storage.Op{{Kind: storage.OpDelete, ID: "A"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	older := 1 - s.cur
	s.segs[older].Close() // emptying the older segment fails: nothing may be emptied
	if err := s.invalidate(older); err == nil {
		t.Fatal("invalidate succeeded on a closed segment")
	}
	crashWAL(s)
	got := recordsOf(t, reopen(t, dir))
	if _, ok := got["A"]; ok || got["B"] != "rec B" {
		t.Fatalf("after reopen: %v, want B only", got)
	}
}

// Before the generation wraps, bbolt takes everything and the other
// segment is emptied: the new run starts alone, and a crash right after
// still recovers every batch.
func TestWALGenerationWrap(t *testing.T) {
	dir := t.TempDir()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(id storage.ID) storage.Op {
		return storage.Op{Kind: storage.OpPutRecord, ID: id, Data: []byte("rec " + id)}
	}
	if err := s.Apply([]storage.Op{rec("A")}); err != nil {
		t.Fatal(err)
	}
	run := s.run
	s.gen = genMask // the next switch wraps
	s.off = walSegmentSize
	if err := s.Apply([]storage.Op{rec("B")}); err != nil {
		t.Fatal(err)
	}
	if s.gen != 1 || s.run == run {
		t.Fatalf("after the wrap: run changed %v, generation %d; want a new run at 1", s.run != run, s.gen)
	}
	if spans, _, _, err := scanSegment(s.segs[1-s.cur]); err != nil || len(spans) != 0 {
		t.Fatalf("the other segment still holds %d records (%v)", len(spans), err)
	}
	crashWAL(s)
	got := recordsOf(t, reopen(t, dir))
	if got["A"] != "rec A" || got["B"] != "rec B" {
		t.Fatalf("after reopen: %v, want A and B", got)
	}
}

// reopen opens the log in dir again, as after a crash; it is closed at
// the end of the test.
func reopen(t *testing.T, dir string) *walStore {
	t.Helper()
	s, err := openWAL(dir, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// recordsOf returns every record s holds.
func recordsOf(t *testing.T, s *walStore) map[storage.ID]string {
	t.Helper()
	got := map[storage.ID]string{}
	if err := s.Records(func(id storage.ID, b []byte) error { got[id] = string(b); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// A message whose delete is already logged, after the batches the applier
// takes, never reaches bbolt, even when its puts are before the cut: here
// the log starts over on the segment holding them. After a crash the log
// still says it is gone.
func TestWALLaterDeleteSkipsStore(t *testing.T) {
	dir := t.TempDir()
	s, c := openCounted(t, dir)
	msg := func(id storage.ID) []storage.Op {
		return []storage.Op{{Kind: storage.OpPutChunk, ID: id, Data: []byte("body of " + string(id))}, {Kind: storage.OpPutRecord, ID: id, Data: []byte("rec " + string(id))}}
	}
	for _, ops := range [][]storage.Op{msg("A"), msg("B")} { // segment 0
		if err := s.Apply(ops); err != nil {
			t.Fatal(err)
		}
	}
	s.off = walSegmentSize // full: A's delete goes to segment 1
	if err := s.Apply([]storage.Op{{Kind: storage.OpDelete, ID: "A"}}); err != nil {
		t.Fatal(err)
	}
	s.off = walSegmentSize // full: segment 0 starts over once bbolt has its batches
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "C", Data: []byte("rec C")}}); err != nil {
		t.Fatal(err)
	}
	if txs, ops := c.counts(); txs != 1 || ops != 2 {
		t.Fatalf("store got %d transactions, %d ops; want 1 with B's two puts only", txs, ops)
	}
	if _, err := s.OpenBody("A"); err != storage.ErrNotFound {
		t.Fatalf("deleted body: %v", err)
	}
	crashWAL(s)
	got := recordsOf(t, reopen(t, dir))
	if len(got) != 2 || got["B"] != "rec B" || got["C"] != "rec C" {
		t.Fatalf("after a crash: %v, want B and C", got)
	}
}
