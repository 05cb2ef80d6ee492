package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each event call of an agent unless the chain or
// the registration says otherwise.
const DefaultTimeout = 15 * time.Second

// Errors of Register.
var (
	ErrNoEvents      = errors.New("agent: value implements no event interface")
	ErrDuplicateName = errors.New("agent: an agent with this name is already registered")
)

// Chain is the ordered set of agents of a transport. Register agents once
// at start-up; a Chain is safe for concurrent use and Register may also be
// called while sessions run (new connections see the new agent).
//
// The zero Chain is not usable: call New.
type Chain struct {
	log     *slog.Logger
	timeout time.Duration

	mu      sync.Mutex
	entries []*entry // in running order
	snap    atomic.Pointer[snapshot]
}

// entry is one registered agent.
type entry struct {
	name       string
	agent      any
	priority   int
	timeout    time.Duration
	failOpen   bool
	connectors []string // lower case; empty means every connector
	events     [numEvents]bool
	disabled   bool
}

// pipeline lists, per event, the agents to call in order.
type pipeline struct {
	ev [numEvents][]*entry
}

// snapshot is the immutable view sessions read: a pipeline per receive
// connector that has agents of its own, one for the rest, one for routing.
type snapshot struct {
	all     *pipeline
	by      map[string]*pipeline
	routing *pipeline
}

// Option configures a Chain.
type Option interface{ apply(*Chain) }

type chainOption func(*Chain)

func (f chainOption) apply(c *Chain) { f(c) }

// WithLogger sets where agent failures, timeouts and panics are logged
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return chainOption(func(c *Chain) { c.log = l }) }

// WithTimeout sets the default per-event deadline of agents (default
// DefaultTimeout). Zero runs agents without a deadline on the caller's
// goroutine, which is cheaper but cannot answer for a hung agent.
func WithTimeout(d time.Duration) Option {
	return chainOption(func(c *Chain) { c.timeout = d })
}

// New returns an empty chain.
func New(opts ...Option) *Chain {
	c := &Chain{log: slog.Default(), timeout: DefaultTimeout}
	for _, o := range opts {
		o.apply(c)
	}
	c.snap.Store(&snapshot{all: &pipeline{}, routing: &pipeline{}})
	return c
}

// RegisterOption configures one agent's registration.
type RegisterOption interface{ applyEntry(*entry) }

type entryOption func(*entry)

func (f entryOption) applyEntry(e *entry) { f(e) }

// Priority sets the agent's rank: lower runs first, 0 is the first, as
// Set-TransportAgent -Priority; agents of equal priority run in
// registration order. Without Priority an agent goes after all others.
// The built-in agents' packages export the reference system's Edge
// priorities (Connection Filtering 1, Content Filter 4, Sender ID 5, ...).
func Priority(p int) RegisterOption { return entryOption(func(e *entry) { e.priority = p }) }

// Connectors enables the agent only on the receive connectors with these
// names (case-insensitive); by default it runs on every connector.
// Routing events ignore it.
func Connectors(names ...string) RegisterOption {
	return entryOption(func(e *entry) {
		for _, n := range names {
			e.connectors = append(e.connectors, strings.ToLower(n))
		}
	})
}

// Timeout overrides the chain's per-event deadline for this agent. An
// agent that ignores its context keeps running after the deadline, on
// its own goroutine, until it returns; what it does then is dropped.
func Timeout(d time.Duration) RegisterOption {
	return entryOption(func(e *entry) { e.timeout = d })
}

// FailOpen makes a failing or slow agent be skipped rather than answered
// 451 4.7.0 (fail closed, the default). A panic is answered 451 either way.
func FailOpen() RegisterOption { return entryOption(func(e *entry) { e.failOpen = true }) }

// Register adds agent a under name. a must implement at least one of the
// event interfaces (ConnectAgent, RcptAgent, EndOfDataAgent, ...); only
// those events call it.
func (c *Chain) Register(name string, a any, opts ...RegisterOption) error {
	evs, ok := subscribed(a)
	if !ok {
		return fmt.Errorf("%w: %s (%T)", ErrNoEvents, name, a)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if strings.EqualFold(e.name, name) {
			return fmt.Errorf("%w: %s", ErrDuplicateName, name)
		}
	}
	e := &entry{name: name, agent: a, priority: -1, timeout: c.timeout, events: evs}
	for _, o := range opts {
		o.applyEntry(e)
	}
	if e.priority < 0 {
		e.priority = 0
		if n := len(c.entries); n > 0 {
			e.priority = c.entries[n-1].priority + 1
		}
	}
	// After every agent of equal or lower priority: ties keep their
	// registration order.
	i, _ := slices.BinarySearchFunc(c.entries, e.priority+1, func(x *entry, p int) int { return cmp.Compare(x.priority, p) })
	c.entries = slices.Insert(c.entries, i, e)
	c.snap.Store(c.build())
	return nil
}

// ErrUnknownAgent is returned for a name no agent was registered under.
var ErrUnknownAgent = errors.New("agent: no agent registered under this name")

// SetEnabled enables or disables a registered agent, as
// Enable-TransportAgent and Disable-TransportAgent do; connections opened
// afterwards see the change.
func (c *Chain) SetEnabled(name string, enabled bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if strings.EqualFold(e.name, name) {
			e.disabled = !enabled
			c.snap.Store(c.build())
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownAgent, name)
}

// Agents returns the registered agents' names in the order they run.
func (c *Chain) Agents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, e := range c.entries {
		names = append(names, e.name)
	}
	return names
}

func (c *Chain) build() *snapshot {
	es := c.entries
	s := &snapshot{all: newPipeline(es, "", false), routing: newPipeline(es, "", true), by: map[string]*pipeline{}}
	for _, e := range es {
		for _, n := range e.connectors {
			if s.by[n] == nil {
				s.by[n] = newPipeline(es, n, false)
			}
		}
	}
	return s
}

// newPipeline selects the agents enabled on connector ("" for connectors
// no agent names); routing pipelines take every agent.
func newPipeline(es []*entry, connector string, routing bool) *pipeline {
	p := &pipeline{}
	for _, e := range es {
		if e.disabled || (!routing && len(e.connectors) > 0 && !slices.Contains(e.connectors, connector)) {
			continue
		}
		for ev, on := range e.events {
			if on {
				p.ev[ev] = append(p.ev[ev], e)
			}
		}
	}
	return p
}

// empty reports whether no receive event has an agent.
func (p *pipeline) empty() bool {
	for _, l := range p.ev[:EventSubmitted] {
		if len(l) > 0 {
			return false
		}
	}
	return true
}

// call runs one agent's event under its deadline with panic recovery. It
// reports the reply to give (nil to go on) and whether the agent finished
// in time without failing, so that its edits may be applied.
func (c *Chain) call(ctx context.Context, e *entry, ev Event, f func(context.Context) error) (*Reply, bool) {
	if e.timeout <= 0 {
		return c.outcome(e, ev, c.protect(ctx, e, ev, f))
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	done := make(chan error, 1) // buffered: a late agent's send never blocks
	go func() { done <- c.protect(ctx, e, ev, f) }()
	select {
	case err := <-done:
		return c.outcome(e, ev, err)
	case <-ctx.Done():
		return c.outcome(e, ev, &failure{err: ctx.Err()})
	}
}

// failure is an agent's error, timeout or panic on its way to outcome.
type failure struct {
	err   error
	panic bool
}

func (f *failure) Error() string { return f.err.Error() }

func (c *Chain) protect(ctx context.Context, e *entry, ev Event, f func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("agent panicked", "agent", e.name, "event", ev.String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = &failure{err: fmt.Errorf("agent: %s panicked: %v", e.name, v), panic: true}
		}
	}()
	return f(ctx)
}

func (c *Chain) outcome(e *entry, ev Event, err error) (*Reply, bool) {
	if err == nil {
		return nil, true
	}
	var f *failure
	if !errors.As(err, &f) {
		if r := AsReply(err); r != nil {
			return r, true
		}
		f = &failure{err: err}
	}
	if f.panic {
		return failReply(), false
	}
	c.log.Warn("agent failed", "agent", e.name, "event", ev.String(), "error", f.err, "failOpen", e.failOpen)
	if e.failOpen {
		return nil, false
	}
	return failReply(), false
}
