package queue

import (
	"container/heap"
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hubedge/hubedge/internal/workers"
	"github.com/hubedge/hubedge/queue/memstore"
	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// Queue is a durable store-and-forward queue with a delivery engine. It is
// safe for concurrent use. Open starts the engine's goroutines; Close stops
// them.
type Queue struct {
	opts  options
	store Store
	com   *committer
	ids   storage.IDGenerator

	// stopCtx ends routing and scheduling when Close starts; runCtx ends
	// deliveries when Close gives up waiting for them.
	stopCtx    context.Context
	stopCancel context.CancelFunc
	runCtx     context.Context
	runCancel  context.CancelFunc
	loops      sync.WaitGroup // scheduler and categorizer
	work       sync.WaitGroup // deliveries and settlements
	// workers run the jobs, keeping goroutines (and the stacks a delivery
	// grew) between attempts.
	workers *workers.Pool

	wake    chan struct{} // scheduler
	catWake chan struct{} // categorizer

	mu         sync.Mutex
	closed     bool
	enqueuing  int             // Enqueue calls in progress
	reserved   map[ID]struct{} // IDs from NewID not yet given to EnqueueWithID
	enqIdle    chan struct{}   // closed when enqueuing drops to 0 once Close began
	msgs       map[ID]*message
	submission []*message // waiting for the categorizer, FIFO
	hops       map[string]*hopQueue
	timers     msgHeap       // messages with a routing retry, expiry or delay due
	active     int           // deliveries in flight, all hops
	flow       chan struct{} // closed when a delivery starts, if Enqueue waits (inFlow)
	unreach    hopState
	// subSuspended stops the categorizer (Suspend-Queue Submission).
	subSuspended bool
	// held are the delivery queues HoldQueues keeps suspended, by key,
	// whether or not they exist.
	held map[string]bool
	// routeEpoch counts Reroute calls; an entry routed before the latest
	// one goes back to routing when its attempt in flight ends.
	routeEpoch uint64
}

// hopState is the admin state of a special queue.
type hopState struct{ suspended bool }

// message is the in-memory state of a queued message. All fields are
// guarded by Queue.mu.
type message struct {
	id  ID
	rec record

	// Routing state (memory only).
	routing     bool              // in the submission list or being routed
	routeDue    time.Time         // retry routing of unrouted recipients then
	hops        map[string]*entry // by hop key
	unreachable []int             // recipient indexes without a route

	inflight      int  // delivery attempts running
	holds         int  // settlements that still read the body
	removeReq     bool // PendingRemove
	removeNDR     bool
	removed       bool // deleted (or being deleted) from the store
	expired       bool // expiry has fired
	heapIdx       int
	wakeAt        time.Time
	lastError     string
	lastAttemptAt time.Time
}

// entry is a message's membership in one delivery queue: the recipients
// that go to that next hop.
type entry struct {
	m       *message
	q       *hopQueue
	rcpts   []int
	due     time.Time
	state   entryState
	elem    *list.Element // in q.ready
	heapIdx int           // in q.waiting
	epoch   uint64        // Queue.routeEpoch when it was routed
}

type entryState uint8

const (
	entryParked  entryState = iota // suspended message; in no list
	entryReady                     // in q.ready
	entryWaiting                   // in q.waiting until due
	entryActive                    // delivery in flight
)

// hopQueue is a delivery queue: every entry with the same next hop.
type hopQueue struct {
	hop       NextHop
	key       string
	entries   int // entries of any state
	ready     *list.List
	waiting   entryHeap
	active    int
	failures  int // consecutive connection failures
	retryAt   time.Time
	lastError string
	lastTry   time.Time
	suspended bool
	idleSince time.Time
}

// Open opens (creating if needed) the queue kept in dir by the log and
// bbolt engine of package walstore, resumes every unfinished message and
// starts delivery. Only one process may open a directory at a time: a
// second fails at once with ErrDirInUse.
func Open(dir string, opts ...Option) (*Queue, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	s, err := walstore.Open(dir, o.clock)
	if err != nil {
		return nil, err
	}
	q, err := OpenStore(s, opts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	return q, nil
}

// OpenMemory returns a queue kept in memory only. It is NOT durable:
// everything is lost with the process. It is meant for tests and for
// throw-away relays.
func OpenMemory(opts ...Option) (*Queue, error) { return OpenStore(memstore.New(), opts...) }

// OpenStore opens a queue on any Store, resumes what it holds and starts
// delivery. Close closes the store.
func OpenStore(s Store, opts ...Option) (*Queue, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	q := &Queue{
		opts:    o,
		store:   s,
		wake:    make(chan struct{}, 1),
		catWake: make(chan struct{}, 1),
		msgs:    map[ID]*message{},
		hops:    map[string]*hopQueue{},
		workers: workers.New(idleWorkers),
	}
	q.stopCtx, q.stopCancel = context.WithCancel(context.Background())
	q.runCtx, q.runCancel = context.WithCancel(context.Background())
	q.com = newCommitter(s, o.commitDelay)
	if h, ok := s.(storage.QueueHolder); ok { // before any delivery can start
		h.WatchHolds(q.HoldQueues)
	}
	if err := q.recover(); err != nil {
		q.com.close()
		return nil, err
	}
	q.loops.Add(2)
	go q.scheduler()
	go q.categorizer()
	q.kick()
	q.kickCategorizer()
	return q, nil
}

func (o *options) validate() error {
	switch {
	case o.clock == nil:
		return fmt.Errorf("queue: nil clock")
	case o.maxConcurrency < 1 || o.maxPerHop < 1:
		return fmt.Errorf("queue: concurrency limits must be at least 1")
	case o.poison < 1:
		return fmt.Errorf("queue: poison threshold must be at least 1")
	case o.commitDelay < 0:
		return fmt.Errorf("queue: negative commit delay")
	case o.retry.TransientFailureRetryCount < 0:
		return fmt.Errorf("queue: negative transient failure retry count")
	case o.retry.TransientFailureRetryInterval <= 0, o.retry.OutboundConnectionFailureRetryInterval <= 0,
		o.retry.MessageRetryInterval <= 0, o.retry.MessageExpirationTimeout <= 0:
		return fmt.Errorf("queue: retry intervals and expiration timeout must be positive")
	}
	if o.logger == nil {
		o.logger = defaultOptions().logger
	}
	if o.postmaster == "" {
		o.postmaster = "postmaster@" + o.reportingMTA
	}
	return nil
}

// recover loads every record, counts crashes of messages that were in
// flight, moves repeat offenders to Poison and removes orphan bodies (those
// of no record at all: the process died before the record committed).
//
// A record that cannot be decoded fails the open with *RecordError, and
// nothing is written: skipping it would lose an acknowledged message, and
// sweeping its body as an orphan would make that loss permanent. The
// administrator restores the store, or opens it with the version that
// wrote it.
func (q *Queue) recover() error {
	var fix []Op
	var poisoned []ID
	var bad []error
	stored := map[ID]bool{}
	err := q.store.Records(func(id ID, b []byte) error {
		stored[id] = true
		rec, err := decodeRecord(id, b)
		if err != nil {
			bad = append(bad, err)
			return nil
		}
		m, op, poison := q.load(id, rec)
		if op != nil {
			fix = append(fix, *op)
		}
		if m != nil {
			q.msgs[id] = m
		}
		if poison {
			poisoned = append(poisoned, id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: load records: %w", err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("queue: %d unreadable message records, store left untouched: %w", len(bad), errors.Join(bad...))
	}
	err = q.store.Bodies(func(id ID) error {
		if !stored[id] {
			fix = append(fix, Op{Kind: OpDeleteBody, ID: id})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: scan bodies: %w", err)
	}
	if len(fix) > 0 {
		if err := q.com.commit(fix...); err != nil {
			return fmt.Errorf("queue: recovery: %w", err)
		}
	}
	for _, id := range sortedKeys(q.msgs) {
		m := q.msgs[id]
		if !m.rec.Poison {
			q.submitLocked(m)
		}
		q.rescheduleLocked(m)
	}
	for _, id := range poisoned {
		q.emit(Event{Type: EventPoison, ID: id, Source: "QUEUE"}.about(&q.msgs[id].rec.Env))
	}
	if a, ok := q.store.(storage.Adopter); ok {
		a.Adopt(q.adopt)
	}
	return nil
}

// load turns a stored record into a message to schedule, with the op that
// brings the store up to date: a finished message (the process died before
// its deletion committed) is deleted and gives no message; one found in
// flight counts a crash and, at PoisonThreshold crashes, moves to Poison
// (poison reports that move).
func (q *Queue) load(id ID, rec *record) (m *message, fix *Op, poison bool) {
	if !rec.pending() {
		return nil, &Op{Kind: OpDelete, ID: id}, false
	}
	m = &message{id: id, rec: *rec, hops: map[string]*entry{}, heapIdx: -1}
	if m.rec.InFlight {
		m.rec.InFlight = false
		m.rec.Crashes++
		if m.rec.Crashes >= q.opts.poison && !m.rec.Poison {
			m.rec.Poison = true
			poison = true
		}
		fix = &Op{Kind: OpPutRecord, ID: id, Data: m.rec.encode()}
	}
	return m, fix, poison
}

// adopt schedules a message that a shared store took over from another
// process of its pool after Open, with the retry, notification,
// suspension and crash state that process left in its record: an attempt
// it had in flight counts as a crash, as it would have after its restart.
func (q *Queue) adopt(id ID, b []byte) error {
	rec, err := decodeRecord(id, b)
	if err != nil {
		q.opts.logger.Error("queue: adopted message unreadable, left in the store", "id", id, "err", err)
		return err
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if _, ok := q.msgs[id]; ok {
		q.mu.Unlock()
		return nil
	}
	m, fix, poison := q.load(id, rec)
	var req *commitReq
	if fix != nil {
		req = q.com.submit([]Op{*fix})
	}
	if m != nil {
		q.msgs[id] = m
		if !m.rec.Poison {
			q.submitLocked(m)
		}
		q.rescheduleLocked(m)
	}
	q.mu.Unlock()
	q.kick()
	if poison {
		q.emit(Event{Type: EventPoison, ID: id, Source: "QUEUE"}.about(&m.rec.Env))
	}
	if req != nil {
		return req.wait()
	}
	return nil
}

// Close stops accepting messages and starting deliveries, waits for
// deliveries in flight until ctx is done (then cancels them and waits for
// the Deliverer to return), waits for Enqueue calls in progress until ctx
// is done (then cancels them: they fail with ErrClosed without being
// waited for), commits what is pending and closes the store. No goroutine
// of the queue outlives it. It returns ctx.Err() if deliveries or
// enqueues had to be cancelled.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.closed = true
	if q.enqueuing > 0 {
		q.enqIdle = make(chan struct{})
	}
	enqIdle := q.enqIdle
	q.mu.Unlock()
	q.stopCancel()
	q.loops.Wait()

	var cerr error
	if !waitCtx(ctx, &q.work) {
		cerr = ctx.Err()
		q.runCancel()
		q.work.Wait()
	}
	if enqIdle != nil {
		select {
		case <-enqIdle:
		case <-ctx.Done():
			// Enqueue calls still running (a body read can block) are
			// cancelled, not waited for: they run on their callers'
			// goroutines, and once the committer is closed every commit
			// they attempt fails with ErrClosed.
			cerr = ctx.Err()
		}
	}
	q.runCancel()
	q.workers.Close() // no job left to start: the scheduler has ended
	q.com.close()
	if err := q.store.Close(); err != nil && cerr == nil {
		cerr = fmt.Errorf("queue: close store: %w", err)
	}
	return cerr
}

// idleWorkers bounds the goroutines kept waiting for a delivery job:
// enough for the connections of a few busy next hops at the default
// MaxPerDomainOutboundConnections, a few megabytes of stack at most.
const idleWorkers = 64

// waitCtx waits for wg or ctx, whichever comes first, and reports whether
// wg finished. The helper goroutine ends with wg.
func waitCtx(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// kick wakes the scheduler.
func (q *Queue) kick() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) kickCategorizer() {
	select {
	case q.catWake <- struct{}{}:
	default:
	}
}

// snapshotLocked returns the op that makes the store match m: its record,
// or its deletion once every recipient is decided and nothing still reads
// its body.
func (q *Queue) snapshotLocked(m *message) Op {
	if m.removed || (!m.rec.pending() && m.holds == 0 && m.inflight == 0) {
		q.forgetLocked(m)
		return Op{Kind: OpDelete, ID: m.id}
	}
	return Op{Kind: OpPutRecord, ID: m.id, Data: m.rec.encode()}
}

// forgetLocked drops m from every in-memory structure.
func (q *Queue) forgetLocked(m *message) {
	if m.removed {
		return
	}
	m.removed = true
	delete(q.msgs, m.id)
	for key, e := range m.hops {
		q.dropEntryLocked(e)
		delete(m.hops, key)
	}
	m.unreachable = nil
	if m.heapIdx >= 0 {
		heap.Remove(&q.timers, m.heapIdx)
	}
}

// persistLocked submits m's current state to the committer; the caller may
// wait on the request outside the lock.
func (q *Queue) persistLocked(m *message) *commitReq {
	return q.com.submit([]Op{q.snapshotLocked(m)})
}
