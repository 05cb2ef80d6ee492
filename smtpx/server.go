package smtpx

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/stop"
	"github.com/hubedge/hubedge/internal/workers"
	"github.com/hubedge/hubedge/queue"
)

// Queue is where a Server puts the messages it accepts; *queue.Queue
// satisfies it. EnqueueWithID must return nil only once the message is
// durable: the session answers the client's final DATA or BDAT with 250
// right after it, and with a 451 when it fails. NewID names the message
// before its body is read, so the Received field it stamps carries the
// queue ID.
type Queue interface {
	NewID() queue.ID
	EnqueueWithID(ctx context.Context, id queue.ID, env queue.Envelope, body io.Reader) error
}

// Server is an SMTP server: receive connectors on the wire, their
// sessions enforcing rights, limits and relay rules, and each accepted
// message handed to a Queue. Build it with NewServer, then Start;
// Shutdown (or Close) stops it. It is safe for concurrent use and cannot
// be restarted. A whole hub (routing, queue, delivery) is package
// transport's Transport, which composes a Server.
type Server struct {
	opts  options
	log   *slog.Logger
	q     Queue
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
	listeners []*boundListener
	conns     map[*conn]struct{}

	acceptWG sync.WaitGroup // accept loops and refusals
	refusing atomic.Int32   // refusals being written (maxRefusing)
	connWG   sync.WaitGroup // wrapped connections not yet closed
	txWG     sync.WaitGroup // open mail transactions and Session.Data calls
	// workers run the sessions, keeping goroutines (and the stacks a
	// session grew) from one connection to the next.
	workers *workers.Pool
}

// idleWorkers bounds the goroutines kept waiting for a connection: more
// than a relay's concurrent clients in the benchmark, a few megabytes of
// stack at most.
const idleWorkers = 64

const (
	stateNew = iota
	stateStarted
	stateClosed
)

// NewServer validates the configuration and builds a server that puts
// the messages it accepts in q, without opening anything: receive
// connectors are checked as one server's set (connector.NewSet), and
// the accepted domains built. Call Start to listen.
func NewServer(q Queue, opts ...Option) (*Server, error) {
	if q == nil {
		return nil, errors.New("smtpx: no queue")
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.serverName == "" {
		return nil, errors.New("smtpx: no server name (WithServerName)")
	}
	t := &Server{opts: o, log: o.logger, q: q, done: make(chan struct{}), workers: workers.New(idleWorkers),
		conns: map[*conn]struct{}{}, loops: newLoopGuard(o.loopTransits)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	g, err := t.newGeneration(Config{ReceiveConnectors: o.receive, AcceptedDomains: o.domains}, nil)
	if err != nil {
		return nil, err
	}
	t.gen.Store(g)
	return t, nil
}

// ReceiveConnectors returns the current receive connectors, in the order
// given.
func (t *Server) ReceiveConnectors() []*connector.ReceiveConnector {
	return t.gen.Load().set.Connectors()
}

// Start listens on every distinct binding of the enabled receive
// connectors. It fails, leaving nothing open, if a binding cannot be
// bound. ctx bounds only the start-up.
func (t *Server) Start(ctx context.Context) error {
	// The first reading holds from the first connection; it is taken
	// outside the lock, as it emits to the trace function.
	var m *monitor
	t.mu.Lock()
	fresh := t.state == stateNew
	t.mu.Unlock()
	if bp := t.opts.backPressure; bp != nil && fresh {
		m = newMonitor(*bp)
		t.sample(m)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case stateStarted:
		return errors.New("smtpx: server already started")
	case stateClosed:
		return ErrServerClosed
	}
	if err := ctx.Err(); err != nil {
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
			return err
		}
		t.listeners = append(t.listeners, &boundListener{binding: b, ln: ln})
	}
	t.state = stateStarted
	if m != nil {
		t.acceptWG.Go(func() { t.watch(m) })
	}
	for _, bl := range t.listeners {
		t.acceptWG.Go(func() { t.acceptLoop(bl) })
	}
	t.log.Info("smtpx: server started", "server", t.opts.serverName, "connectors", len(g.order), "listeners", len(t.listeners))
	return nil
}

// Addr returns the listening address of the named receive connector's first
// binding (useful with port 0), or nil when unknown or not started.
func (t *Server) Addr(connectorName string) net.Addr {
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

// Shutdown stops the server gracefully: it stops accepting, closes
// sessions without an open mail transaction at once and lets the others
// finish their message (the final DATA reply is their last), until ctx is
// done; then it closes the remaining connections and returns. The queue
// is the caller's to close, after Shutdown. No goroutine of the server
// survives it. It returns ctx.Err() when sessions had to be cut short.
func (t *Server) Shutdown(ctx context.Context) error {
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
	t.workers.Close() // every session has ended, and no accept loop is left
	t.cancel()
	t.log.Info("smtpx: server stopped", "server", t.opts.serverName)
	return err
}

// Close stops the server at once: Shutdown with an expired deadline.
func (t *Server) Close() error { return stop.Now(t.Shutdown) }

func (t *Server) liveConns() []*conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	cs := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		cs = append(cs, c)
	}
	return cs
}

// emit sends an event to the trace function and the debug log.
func (t *Server) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = t.opts.clock.Now()
	}
	// Enabled first: boxing e for a disabled Debug still allocates it.
	if t.log.Enabled(context.Background(), slog.LevelDebug) {
		t.log.Debug("smtpx: event", "event", e)
	}
	if t.opts.trace != nil {
		t.opts.trace(e)
	}
}
