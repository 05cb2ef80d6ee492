package queue_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// waitTimeout bounds every wait for an event; it is a failure deadline,
// not a synchronisation sleep.
const waitTimeout = 10 * time.Second

// recorder collects queue events for tests.
type recorder struct {
	mu     sync.Mutex
	events []queue.Event
	ch     chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1)} }

func (r *recorder) hook(e queue.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

// next waits for the first event after position *pos that satisfies match,
// and moves *pos past it.
func (r *recorder) next(t testing.TB, pos *int, match func(queue.Event) bool) queue.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		for i := *pos; i < len(r.events); i++ {
			if match(r.events[i]) {
				*pos = i + 1
				e := r.events[i]
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for event; have %v", r.summary())
		}
	}
}

func (r *recorder) count(typ queue.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func (r *recorder) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for _, e := range r.events {
		parts = append(parts, fmt.Sprintf("%s:%s:%v", e.Type, e.ID, e.Recipients))
	}
	return strings.Join(parts, " ")
}

func is(typ queue.EventType, id queue.ID) func(queue.Event) bool {
	return func(e queue.Event) bool { return e.Type == typ && (id == "" || e.ID == id) }
}

// hopByDomain routes each recipient to a DNS-style hop for its domain;
// domains in unroutable have no route.
func hopByDomain(unroutable ...string) queue.Router {
	return queue.RouterFunc(func(_ context.Context, _ *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
		_, dom, _ := strings.Cut(r.Address, "@")
		for _, u := range unroutable {
			if dom == u {
				return queue.NextHop{}, fmt.Errorf("no connector for %s: %w", dom, queue.ErrUnroutable)
			}
		}
		return queue.NextHop{Connector: "Internet", Kind: "DnsConnectorDelivery", Domain: dom}, nil
	})
}

// delivery is one Deliver call seen by a scripted deliverer.
type delivery struct {
	hop   queue.NextHop
	msg   *queue.Message
	rcpts []queue.Recipient
	body  string
}

// scripted is a Deliverer whose replies come from a function; tests
// consume the calls it saw with next and nextFor.
type scripted struct {
	reply func(d delivery) ([]queue.Result, error)
	mu    sync.Mutex
	calls []*delivery // nil once consumed
	ch    chan struct{}
}

func newScripted(reply func(d delivery) ([]queue.Result, error)) *scripted {
	return &scripted{reply: reply, ch: make(chan struct{}, 1)}
}

func (s *scripted) Deliver(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	rc, err := msg.Open()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	d := delivery{hop: hop, msg: msg, rcpts: rcpts, body: string(b)}
	s.mu.Lock()
	s.calls = append(s.calls, &d)
	s.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
	default:
	}
	return s.reply(d)
}

// pending counts the calls not yet consumed.
func (s *scripted) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c != nil {
			n++
		}
	}
	return n
}

// next consumes the oldest unconsumed call.
func (s *scripted) next(t testing.TB) delivery {
	t.Helper()
	return s.nextFor(t, "")
}

// nextFor consumes the oldest unconsumed call for message id ("" = any).
func (s *scripted) nextFor(t testing.TB, id queue.ID) delivery {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		s.mu.Lock()
		for i, c := range s.calls {
			if c != nil && (id == "" || c.msg.ID == id) {
				s.calls[i] = nil
				s.mu.Unlock()
				return *c
			}
		}
		s.mu.Unlock()
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for a delivery of %q", id)
		}
	}
}

// all returns the same reply for every recipient.
func all(r queue.Result) func(d delivery) ([]queue.Result, error) {
	return func(d delivery) ([]queue.Result, error) {
		out := make([]queue.Result, len(d.rcpts))
		for i := range out {
			out[i] = r
		}
		return out, nil
	}
}

var (
	ok250    = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "OK", RemoteMTA: "mx.fabrikam.com"}
	tmp451   = queue.Result{Code: 451, Enhanced: "4.3.0", Text: "try later", RemoteMTA: "mx.fabrikam.com"}
	perm550  = queue.Result{Code: 550, Enhanced: "5.1.1", Text: "User unknown", RemoteMTA: "mx.fabrikam.com"}
	testBody = "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: hello\r\nMessage-ID: <m1@contoso.com>\r\n\r\nHi Bob.\r\n"
)

// harness is a memory queue on a fake clock with an event recorder.
type harness struct {
	q     *queue.Queue
	clock *queuetest.FakeClock
	rec   *recorder
	pos   int
}

func newHarness(t *testing.T, opts ...queue.Option) *harness {
	t.Helper()
	h := &harness{clock: queuetest.NewFakeClock(t0), rec: newRecorder()}
	base := []queue.Option{
		queue.WithClock(h.clock), queue.WithEventHook(h.rec.hook),
		queue.WithReportingMTA("hub1.contoso.com"), queue.WithPostmaster("postmaster@contoso.com"),
	}
	q, err := queue.OpenMemory(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := q.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func (h *harness) enqueue(t *testing.T, from string, rcpts ...queue.Recipient) queue.ID {
	t.Helper()
	id, err := h.q.Enqueue(context.Background(), queue.Envelope{From: from, Recipients: rcpts}, strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (h *harness) wait(t *testing.T, typ queue.EventType, id queue.ID) queue.Event {
	t.Helper()
	return h.rec.next(t, &h.pos, is(typ, id))
}

func rcpt(addr string) queue.Recipient { return queue.Recipient{Address: addr} }

func rcptN(addr string, n dsn.Notify) queue.Recipient {
	return queue.Recipient{Address: addr, Notify: n}
}
