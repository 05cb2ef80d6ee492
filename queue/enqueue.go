package queue

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/hubedge/hubedge/queue/storage"
)

const (
	// chunkSize is the largest body value written to the store.
	chunkSize = storage.ChunkSize
	// flushSize is how much body an Enqueue buffers before committing it
	// ahead of the record, which bounds memory per Enqueue for large
	// messages.
	flushSize = 512 << 10
)

// chunkBufs holds chunk-sized buffers, with the spare capacity the Store
// contract promises: an Enqueue reads its body into them and gives them
// back once the chunks are committed, as no Store keeps chunk data past
// Apply.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, chunkSize+storage.ChunkRoom); return &b }}

// bodyBufs are the buffers one Enqueue holds.
type bodyBufs struct{ held []*[]byte }

// get returns a buffer of chunkSize bytes with room for the store's
// checksum after them.
func (b *bodyBufs) get() []byte {
	p := chunkBufs.Get().(*[]byte)
	b.held = append(b.held, p)
	return (*p)[:chunkSize]
}

// release gives every buffer back; the ops that pointed into them must be
// committed or abandoned.
func (b *bodyBufs) release() {
	for _, p := range b.held {
		chunkBufs.Put(p)
	}
	clear(b.held)
	b.held = b.held[:0]
}

// Enqueue stores a message and returns its ID once envelope and body are
// durable (committed and fsync'd); only then may the SMTP 250 be sent.
// Concurrent calls share commits. The body is read once, in chunks, and
// never held whole in memory; a body over WithMaxMessageSize fails with
// ErrTooLarge as soon as the excess is read. env.Size is set from the body;
// env.Received defaults to the clock's time.
//
// ctx is checked between chunks and before the final commit; it cannot
// interrupt a blocked body Read (set deadlines on the underlying
// connection), and once the final commit is submitted Enqueue waits for it
// so that the outcome it reports is the truth.
func (q *Queue) Enqueue(ctx context.Context, env Envelope, body io.Reader) (ID, error) {
	id := q.NewID()
	if err := q.EnqueueWithID(ctx, id, env, body); err != nil {
		return "", err
	}
	return id, nil
}

// NewID reserves the ID of a message about to be enqueued, so that the
// caller can write it into the message first: a receive session stamps it
// as the "id" of its Received field. Every reserved ID must be given to
// EnqueueWithID once, which consumes it whatever the outcome.
func (q *Queue) NewID() ID {
	id := q.ids.Next(q.opts.clock.Now())
	q.mu.Lock()
	if q.reserved == nil {
		q.reserved = make(map[ID]struct{})
	}
	q.reserved[id] = struct{}{}
	q.mu.Unlock()
	return id
}

// EnqueueWithID is Enqueue for an ID from NewID; an ID NewID did not hand
// out, or one used before, fails with ErrUnknownID (a reused ID would mix
// two bodies under one key).
func (q *Queue) EnqueueWithID(ctx context.Context, id ID, env Envelope, body io.Reader) error {
	q.mu.Lock()
	_, ok := q.reserved[id]
	delete(q.reserved, id)
	closed := q.closed
	if ok && !closed {
		q.enqueuing++
	}
	q.mu.Unlock()
	switch {
	case !ok:
		return ErrUnknownID
	case closed:
		return ErrClosed
	}
	defer q.enqueueDone()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(env.Recipients) == 0 {
		return ErrNoRecipients
	}
	// Close cancels what it gives up waiting for.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(q.runCtx, func() { cancel(ErrClosed) })()
	q.inFlow(ctx)
	return q.enqueue(ctx, id, env, body, q.opts.maxSize, nil, "SMTP")
}

// inFlow waits, at most WithInFlowDelay, while deliveries fall behind
// arrivals; every delivery that starts meanwhile lets it look again.
func (q *Queue) inFlow(ctx context.Context) {
	d := q.opts.inFlowDelay
	if d <= 0 {
		return
	}
	var timer Timer
	var expired chan struct{}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if !q.behindLocked() {
			q.mu.Unlock()
			return
		}
		if q.flow == nil {
			q.flow = make(chan struct{})
		}
		started := q.flow
		q.mu.Unlock()
		if timer == nil {
			expired = make(chan struct{})
			timer = q.opts.clock.AfterFunc(d, func() { close(expired) })
		}
		select {
		case <-started:
		case <-expired:
			return
		case <-ctx.Done():
			return
		case <-q.stopCtx.Done(): // Close: no delivery starts any more
			return
		}
	}
}

// behindLocked reports whether more messages wait for a connection than
// there are connections, on the next hops delivering at full concurrency.
func (q *Queue) behindLocked() bool {
	waiting, slots := 0, 0
	for _, hq := range q.hops {
		if q.stoppedLocked(hq) || hq.failures > 0 || hq.active < q.opts.maxPerHop && q.active < q.opts.maxConcurrency {
			continue
		}
		waiting += hq.ready.Len()
		slots += hq.active
	}
	return waiting > slots
}

// enqueueDone ends an Enqueue call, letting Close go on after the last.
func (q *Queue) enqueueDone() {
	q.mu.Lock()
	q.enqueuing--
	if q.enqueuing == 0 && q.enqIdle != nil {
		close(q.enqIdle)
		q.enqIdle = nil
	}
	q.mu.Unlock()
}

// enqueue is Enqueue without the admission checks; the queue uses it for
// DSNs, whose final commit also carries extra ops (the original message's
// updated record), computed under the lock so they land in order.
func (q *Queue) enqueue(ctx context.Context, id ID, env Envelope, body io.Reader, limit int64, extra func() []Op, source string) error {
	if env.Received.IsZero() {
		env.Received = q.opts.clock.Now()
	}
	env.Recipients = slices.Clone(env.Recipients)
	var bufs bodyBufs
	defer bufs.release() // after the final commit returned
	ops, size, err := q.writeBody(ctx, id, body, limit, &bufs)
	if err != nil {
		return err
	}
	env.Size = size
	m := &message{
		id:      id,
		rec:     record{V: recordVersion, Env: env, Rcpts: make([]rcptState, len(env.Recipients))},
		hops:    map[string]*entry{},
		heapIdx: -1,
	}
	ops = append(ops, Op{Kind: OpPutRecord, ID: id, Data: m.rec.encode()})
	q.mu.Lock()
	if extra != nil {
		ops = append(ops, extra()...)
	}
	req := q.com.submit(ops)
	q.mu.Unlock()
	if err := req.wait(); err != nil {
		q.dropBody(id, size > flushSize)
		return fmt.Errorf("queue: commit %s: %w", id, err)
	}
	q.mu.Lock()
	q.msgs[id] = m
	q.submitLocked(m)
	q.rescheduleLocked(m)
	q.mu.Unlock()
	q.kick()
	rcpts := make([]string, len(env.Recipients))
	for i, r := range env.Recipients {
		rcpts[i] = r.Address
	}
	q.emit(Event{Type: EventReceive, ID: id, Source: source, Recipients: rcpts}.about(&env))
	return nil
}

// writeBody reads body in chunks, into buffers from bufs. Chunks are
// committed early whenever flushSize bytes have piled up (and their buffers
// reused); the rest is returned as ops for the final commit.
func (q *Queue) writeBody(ctx context.Context, id ID, body io.Reader, limit int64, bufs *bodyBufs) ([]Op, int64, error) {
	var (
		ops      []Op
		size     int64
		buffered int
		seq      uint32
		flushed  bool
	)
	fail := func(err error) ([]Op, int64, error) {
		q.dropBody(id, flushed)
		return nil, 0, err
	}
	for {
		if ctx.Err() != nil {
			return fail(context.Cause(ctx)) // ErrClosed if Close cancelled it
		}
		buf := bufs.get()
		n, rerr := fill(body, buf)
		if n > 0 {
			size += int64(n)
			if limit > 0 && size > limit {
				return fail(ErrTooLarge)
			}
			ops = append(ops, Op{Kind: OpPutChunk, ID: id, Seq: seq, Data: buf[:n]})
			seq++
			buffered += n
		}
		if rerr == io.EOF {
			return ops, size, nil
		}
		if rerr != nil {
			return fail(fmt.Errorf("queue: read body: %w", rerr))
		}
		if buffered >= flushSize {
			flushed = true
			if err := q.com.commit(ops...); err != nil {
				return fail(fmt.Errorf("queue: commit body: %w", err))
			}
			ops, buffered = nil, 0
			bufs.release()
		}
	}
}

// fill reads into buf until it is full or the reader fails. Only a bare
// io.EOF ends the body: io.ReadFull would also report a reader's own
// io.ErrUnexpectedEOF (go-smtp's answer to a client that drops mid-DATA)
// as a normal short read, and a truncated message would be committed.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// dropBody removes chunks committed for a message that did not make it;
// if this fails too, the next Open sweeps them.
func (q *Queue) dropBody(id ID, flushed bool) {
	if flushed {
		_ = q.com.commit(Op{Kind: OpDeleteBody, ID: id})
	}
}
