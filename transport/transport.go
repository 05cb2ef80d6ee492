package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/stop"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/local"
)

// Transport is one hub or edge transport server in-process: an SMTP
// server (smtpx) with its receive connectors, the Router, the queue and
// the deliverers. Build it with New, then Start; Shutdown (or Close) stops
// it. A Transport is safe for concurrent use and cannot be restarted.
type Transport struct {
	opts options
	log  *slog.Logger
	srv  *smtpx.Server
	gen  atomic.Pointer[generation] // the current routing configuration
	// reconf serializes Reconfigure calls.
	reconf sync.Mutex

	mu    sync.Mutex
	state int // stateNew, stateStarted, stateClosed
	q     *queue.Queue
}

const (
	stateNew = iota
	stateStarted
	stateClosed
)

// ErrNoQueue is returned by New when no queue was chosen: a transport
// either keeps its queue durably (WithQueueDir, WithQueueStore) or is told
// in so many words that it may lose mail (WithMemoryQueue).
var ErrNoQueue = errors.New("transport: no queue (WithQueueDir, WithQueueStore or WithMemoryQueue)")

// ErrNoDeliverer is the connection-level error for a next hop whose kind
// has no deliverer configured; the queue keeps such messages in Retry.
var ErrNoDeliverer = errors.New("transport: no deliverer for this next hop")

// New validates the configuration and builds the transport without
// opening anything: receive connectors are checked as one server's set
// (connector.NewSet), accepted domains and the routing table are built
// from the options. Call Start to run the queue and listen.
func New(opts ...Option) (*Transport, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.serverName == "" {
		return nil, errors.New("transport: no server name (WithServerName)")
	}
	if o.queue == queueUnset {
		return nil, ErrNoQueue
	}
	t := &Transport{opts: o, log: o.logger}
	g, err := t.newGeneration(Config{ReceiveConnectors: o.receive, SendConnectors: o.send, AcceptedDomains: o.domains})
	if err != nil {
		return nil, err
	}
	if t.srv, err = smtpx.NewServer(enqueuer{t}, t.serverOptions()...); err != nil {
		g.retire()
		return nil, err
	}
	t.gen.Store(g)
	return t, nil
}

// serverOptions are the server's share of the transport's options,
// followed by the caller's WithServerOptions.
func (t *Transport) serverOptions() []smtpx.Option {
	o := &t.opts
	so := []smtpx.Option{
		smtpx.WithServerName(o.serverName),
		smtpx.WithReceiveConnector(o.receive...),
		smtpx.WithAcceptedDomain(o.domains...),
		smtpx.WithClock(o.clock),
		smtpx.WithLogger(t.log),
		smtpx.WithTrace(func(e smtpx.Event) { t.trace(Event{Event: e}) }),
	}
	if c := recipientCheck(o.local, o.directory); c != nil {
		so = append(so, smtpx.WithRecipientCheck(c))
	}
	if o.agents != nil {
		so = append(so, smtpx.WithAgents(o.agents))
	}
	if bp := o.pressure; bp != nil {
		b := *bp
		if b.Probe == nil {
			b.Probe = smtpx.SystemResources(o.queueDir)
		}
		so = append(so, smtpx.WithBackPressure(b))
	}
	return append(so, o.server...)
}

// recipientCheck is the server's RCPT-time check for authoritative
// recipients: the local deliverer's (local.Checker, whose errors carry
// their refusal), then the directory's. Nil when there is neither.
func recipientCheck(d queue.Deliverer, dir local.Directory) smtpx.RecipientChecker {
	checker, _ := d.(local.Checker)
	if checker == nil && dir == nil {
		return nil
	}
	return smtpx.RecipientCheckFunc(func(ctx context.Context, addr string) error {
		if checker != nil {
			if err := checker.CheckRecipient(ctx, addr); err != nil {
				return err
			}
		}
		if dir == nil {
			return nil
		}
		found, err := dir.Lookup(ctx, addr)
		switch {
		case err != nil:
			return fmt.Errorf("transport: recipient lookup: %w", err)
		case !found:
			return smtpx.ErrUnknownRecipient
		}
		return nil
	})
}

// enqueuer is the server's Queue: the transport's queue, opened by Start
// before the server listens.
type enqueuer struct{ t *Transport }

func (e enqueuer) NewID() queue.ID { return e.t.q.NewID() }

func (e enqueuer) EnqueueWithID(ctx context.Context, id queue.ID, env queue.Envelope, body io.Reader) error {
	return e.t.q.EnqueueWithID(ctx, id, env, body)
}

// Server returns the transport's SMTP server.
func (t *Transport) Server() *smtpx.Server { return t.srv }

// ReceiveConnectors returns the current receive connectors, in the order
// given.
func (t *Transport) ReceiveConnectors() []*connector.ReceiveConnector {
	return t.srv.ReceiveConnectors()
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

// Pressure returns the server's back-pressure level.
func (t *Transport) Pressure() smtpx.Pressure { return t.srv.Pressure() }

// Addr returns the listening address of the named receive connector's
// first binding (useful with port 0), or nil when unknown or not started.
func (t *Transport) Addr(connectorName string) net.Addr { return t.srv.Addr(connectorName) }

// Start opens the queue, then listens on every distinct binding of the
// enabled receive connectors. It fails, leaving nothing open, if the
// queue cannot be opened or a binding cannot be bound. ctx bounds only
// the start-up.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case stateStarted:
		return errors.New("transport: already started")
	case stateClosed:
		return smtpx.ErrServerClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := t.openQueue()
	if err != nil {
		return err
	}
	t.q = q
	if err := t.srv.Start(ctx); err != nil {
		t.q = nil
		return errors.Join(err, q.Close(ctx))
	}
	t.state = stateStarted
	attrs := []any{"server", t.opts.serverName, "connectors", len(t.srv.ReceiveConnectors()), "queue", t.queueName()}
	if t.opts.queue == queueMemory {
		t.log.Warn("transport: started with a queue in memory: queued mail is lost when the process ends", attrs...)
	} else {
		t.log.Info("transport: started", attrs...)
	}
	return nil
}

// queueName says where the queue is, for the start log line.
func (t *Transport) queueName() string {
	switch t.opts.queue {
	case queueDir:
		return t.opts.queueDir
	case queueStore:
		return storeName(t.opts.queueStore)
	}
	return "memory (not durable)"
}

// storeName describes a queue store for an administrator: its own String
// when it has one (only the store knows its directory or database).
func storeName(s queue.Store) string {
	if d, ok := s.(fmt.Stringer); ok {
		return d.String()
	}
	return "custom store"
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
			t.emit(Event{Event: smtpx.Event{Kind: EventQueue, QueueID: e.ID, Err: e.Err}, Queue: &e})
			t.logOutcome(&e)
		}),
	}
	qo = append(qo, t.opts.queueOpts...)
	switch t.opts.queue {
	case queueStore:
		return queue.OpenStore(t.opts.queueStore, qo...)
	case queueDir:
		return queue.Open(t.opts.queueDir, qo...)
	}
	return queue.OpenMemory(qo...)
}

// Shutdown stops the transport gracefully: the server stops accepting,
// closes sessions without an open mail transaction at once and lets the
// others finish their message (the final DATA reply is their last), until
// ctx is done (smtpx.Server.Shutdown); then the queue stops (queue.Close
// with ctx). No goroutine of the transport survives it. It returns
// ctx.Err() when sessions had to be cut short.
func (t *Transport) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	prev := t.state
	t.state = stateClosed
	t.mu.Unlock()
	if prev == stateClosed {
		return smtpx.ErrServerClosed
	}
	err := t.srv.Shutdown(ctx)
	if prev == stateStarted {
		if qerr := t.q.Close(ctx); qerr != nil && err == nil {
			err = qerr
		}
		t.log.Info("transport: stopped", "server", t.opts.serverName)
	}
	t.gen.Load().retire()
	return err
}

// Close stops the transport at once: Shutdown with an expired deadline.
func (t *Transport) Close() error { return stop.Now(t.Shutdown) }
