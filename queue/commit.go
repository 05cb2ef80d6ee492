package queue

import (
	"sync"
	"time"
)

// committer is the group commit: callers append their operations without
// blocking and wait; one goroutine applies everything that has piled up
// since the previous commit as a single store transaction. A lone caller
// is committed at once (no batching timer); under load, callers arriving
// during one fsync share the next, so the commit rate, not the message
// rate, is bounded by the disk.
//
// Operations are applied in submission order, so two updates of the same
// record submitted in order (under the queue's lock) land in that order.
//
// After a commit that carried more than one request, the loop waits delay
// before taking the next batch: under concurrent load that lets more
// requests share each fsync (the group commit delay of database engines),
// while a lone caller is still committed at once.
//
// A lazy request (submitLazy) does not start a commit: it rides along with
// the next one, or is committed on its own after lazyDelay. It is for
// updates that nobody is acknowledged on, whose loss in a crash only
// repeats work (a delivery outcome: the message is delivered again).
type committer struct {
	store Store
	delay time.Duration

	mu      sync.Mutex
	pending []*commitReq
	armed   bool // a lazyDelay timer will wake the loop
	wake    chan struct{}
	closed  bool
	quit    chan struct{} // closed by close: cuts the delay short
	done    chan struct{}
}

// lazyDelay bounds how long a lazy request waits for a commit to join.
const lazyDelay = 5 * time.Millisecond

type commitReq struct {
	ops  []Op
	err  error
	done chan struct{}
}

func newCommitter(s Store, delay time.Duration) *committer {
	c := &committer{store: s, delay: delay, quit: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// submit queues ops for the next commit, starting it if none is under
// way, and returns a handle to wait on.
func (c *committer) submit(ops []Op) *commitReq { return c.add(ops, false) }

// submitLazy queues ops to join the next commit, due within lazyDelay.
func (c *committer) submitLazy(ops []Op) *commitReq { return c.add(ops, true) }

func (c *committer) add(ops []Op, lazy bool) *commitReq {
	r := &commitReq{ops: ops, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		r.err = ErrClosed
		close(r.done)
		return r
	}
	c.pending = append(c.pending, r)
	arm := lazy && !c.armed
	c.armed = c.armed || arm
	c.mu.Unlock()
	switch {
	case !lazy:
		c.poke()
	case arm:
		time.AfterFunc(lazyDelay, c.poke)
	}
	return r
}

func (c *committer) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// wait blocks until the request is committed (or failed). It deliberately
// takes no context: once submitted, the outcome must be known to the caller.
func (r *commitReq) wait() error {
	<-r.done
	return r.err
}

// commit submits and waits.
func (c *committer) commit(ops ...Op) error { return c.submit(ops).wait() }

func (c *committer) run() {
	defer close(c.done)
	var ops []Op
	for {
		c.mu.Lock()
		batch, closed := c.pending, c.closed
		c.pending, c.armed = nil, false
		c.mu.Unlock()
		if len(batch) == 0 {
			if closed {
				return
			}
			<-c.wake
			continue
		}
		ops = ops[:0]
		for _, r := range batch {
			ops = append(ops, r.ops...)
		}
		err := c.store.Apply(ops)
		if err != nil && len(batch) > 1 {
			// Keep one bad request from failing its neighbours.
			for _, r := range batch {
				r.err = c.store.Apply(r.ops)
				close(r.done)
			}
			continue
		}
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		if len(batch) > 1 && c.delay > 0 {
			t := time.NewTimer(c.delay)
			select {
			case <-t.C:
			case <-c.quit:
			}
			t.Stop()
		}
	}
}

// close commits what is pending, then stops the goroutine.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.quit)
	}
	c.mu.Unlock()
	c.poke()
	<-c.done
}
