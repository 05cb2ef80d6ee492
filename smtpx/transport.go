package smtpx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
)

// Transport is one hub or edge transport server in-process: receive
// connectors on the wire, the Router, the queue and the deliverers.
// Build it with NewTransport, then Start; Shutdown (or Close) stops it.
// A Transport is safe for concurrent use and cannot be restarted.
type Transport struct {
	opts  options
	log   *slog.Logger
	gen   atomic.Pointer[generation] // the current configuration
	loops *loopGuard
	// reconf serializes Reconfigure calls.
	reconf sync.Mutex
	// pressure is the back-pressure level (WithBackPressure).
	pressure atomic.Int32

	// ctx bounds session work (Enqueue, SASL, lookups); cancelled when a
	// Shutdown deadline forces sessions closed.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when Shutdown begins
	seq    atomic.Uint64 // session IDs

	mu        sync.Mutex
	state     int // stateNew, stateStarted, stateClosed
	q         *queue.Queue
	listeners []*boundListener
	conns     map[*conn]struct{}

	acceptWG sync.WaitGroup // accept loops and refusals
	refusing atomic.Int32   // refusals being written (maxRefusing)
	connWG   sync.WaitGroup // wrapped connections not yet closed
	txWG     sync.WaitGroup // open mail transactions and Session.Data calls
}

const (
	stateNew = iota
	stateStarted
	stateClosed
)

// NewTransport validates the configuration and builds the transport
// without opening anything: receive connectors are checked as one server's
// set (connector.NewSet), accepted domains and the routing table are built
// from the options. Call Start to listen and run the queue.
func NewTransport(opts ...Option) (*Transport, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.serverName == "" {
		return nil, errors.New("smtpx: no server name (WithServerName)")
	}
	t := &Transport{opts: o, log: o.logger, done: make(chan struct{}),
		conns: map[*conn]struct{}{}, loops: newLoopGuard(o.loopTransits)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	g, err := t.newGeneration(Config{ReceiveConnectors: o.receive, SendConnectors: o.send, AcceptedDomains: o.domains}, nil)
	if err != nil {
		return nil, err
	}
	t.gen.Store(g)
	return t, nil
}

// ReceiveConnectors returns the current receive connectors, in the order
// given.
func (t *Transport) ReceiveConnectors() []*connector.ReceiveConnector {
	return t.gen.Load().set.Connectors()
}

// Router returns the Router of the current configuration. The queue
// itself always routes by the configuration current at the time.
func (t *Transport) Router() *Router { return t.gen.Load().router }

// Queue returns the queue for admin operations (Queues, Messages,
// SuspendQueue, RetryUnreachable, ...), or nil before Start.
func (t *Transport) Queue() *queue.Queue {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.q
}

// Start opens the queue and listens on every distinct binding of the
// enabled receive connectors. It fails, leaving nothing open, if a
// binding cannot be bound. ctx bounds only the start-up.
func (t *Transport) Start(ctx context.Context) error {
	// The first reading holds from the first connection; it is taken
	// outside the lock, as it emits to the trace function.
	var m *monitor
	t.mu.Lock()
	fresh := t.state == stateNew
	t.mu.Unlock()
	if bp := t.opts.backPressure; bp != nil && fresh {
		m = t.newMonitor(*bp)
		t.sample(m)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case stateStarted:
		return errors.New("smtpx: transport already started")
	case stateClosed:
		return ErrServerClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := t.openQueue()
	if err != nil {
		return err
	}
	g := t.gen.Load()
	for _, b := range g.set.Bindings() {
		ln, err := t.listen(b)
		if err != nil {
			for _, bl := range t.listeners {
				bl.ln.Close()
			}
			t.listeners = nil
			return errors.Join(err, q.Close(ctx))
		}
		t.listeners = append(t.listeners, &boundListener{binding: b, ln: ln})
	}
	t.q, t.state = q, stateStarted
	if m != nil {
		t.acceptWG.Go(func() { t.watch(m) })
	}
	for _, bl := range t.listeners {
		t.acceptWG.Go(func() { t.acceptLoop(bl) })
	}
	t.log.Info("smtpx: transport started", "server", t.opts.serverName, "connectors", len(g.order), "listeners", len(t.listeners))
	return nil
}

func (t *Transport) openQueue() (*queue.Queue, error) {
	qo := []queue.Option{
		queue.WithRouter(liveRouter{t}),
		queue.WithDeliverer(dispatcher{t: t, local: t.opts.local}),
		queue.WithClock(t.opts.clock),
		queue.WithLogger(t.log),
		queue.WithReportingMTA(t.opts.serverName),
		// The trace first: an outcome's log line then says that whatever
		// the trace feeds (tracking, metrics) has seen it.
		queue.WithEventHook(func(e queue.Event) {
			t.emit(Event{Kind: EventQueue, QueueID: e.ID, Queue: &e, Err: e.Err})
			t.logOutcome(&e)
		}),
	}
	qo = append(qo, t.opts.queueOpts...)
	if t.opts.queueStore != nil {
		return queue.OpenStore(t.opts.queueStore, qo...)
	}
	if t.opts.queueDir == "" {
		return queue.OpenMemory(qo...)
	}
	return queue.Open(t.opts.queueDir, qo...)
}

// Addr returns the listening address of the named receive connector's first
// binding (useful with port 0), or nil when unknown or not started.
func (t *Transport) Addr(connectorName string) net.Addr {
	s := t.gen.Load().servers[connectorName]
	if s == nil {
		return nil
	}
	bs := s.rc.Bindings()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range bs {
		for _, bl := range t.listeners {
			if bl.binding == b {
				return bl.ln.Addr()
			}
		}
	}
	return nil
}

// Shutdown stops the transport gracefully: it stops accepting, closes
// sessions without an open mail transaction at once and lets the others
// finish their message (the final DATA reply is their last), until ctx is
// done; then it closes the
// remaining connections, stops the queue (queue.Close with ctx) and
// returns. No goroutine of the transport survives it. It returns ctx.Err()
// when sessions had to be cut short.
func (t *Transport) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	prev := t.state
	t.state = stateClosed
	t.mu.Unlock()
	switch prev {
	case stateClosed:
		return ErrServerClosed
	case stateNew:
		close(t.done)
		t.cancel()
		t.gen.Load().retire()
		return nil
	}
	close(t.done)
	for _, bl := range t.listeners {
		bl.ln.Close()
	}
	t.acceptWG.Wait()
	for _, c := range t.liveConns() {
		c.drain()
	}
	finished := make(chan struct{})
	go func() {
		t.connWG.Wait()
		t.txWG.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		t.cancel()
		for _, c := range t.liveConns() {
			c.Conn.Close()
		}
		<-finished
	}
	t.cancel()
	if qerr := t.q.Close(ctx); qerr != nil && err == nil {
		err = qerr
	}
	t.gen.Load().retire()
	t.log.Info("smtpx: transport stopped", "server", t.opts.serverName)
	return err
}

// Close stops the transport at once: Shutdown with an expired deadline.
func (t *Transport) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := t.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (t *Transport) liveConns() []*conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		cs = append(cs, c)
	}
	return cs
}

// emit sends an event to the trace function and the debug log.
func (t *Transport) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = t.opts.clock.Now()
	}
	t.log.Debug("smtpx: event", "event", e)
	if t.opts.trace != nil {
		t.opts.trace(e)
	}
}

// ErrNoDeliverer is the connection-level error for a next hop whose kind
// has no deliverer configured; the queue keeps such messages in Retry.
var ErrNoDeliverer = errors.New("smtpx: no deliverer for this next hop")
