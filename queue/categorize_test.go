package queue_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// editRouter is a MessageRouter that redirects bob to carol, adds dave,
// drops eve without and frank with an NDR, and fails the whole message
// while fail is set. It adds dave only to messages it redirected, unless
// alwaysAdd.
type editRouter struct {
	queue.Router
	alwaysAdd bool
	fail      atomic.Bool
	calls     atomic.Int32
}

func (r *editRouter) RouteMessage(ctx context.Context, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Route, error) {
	r.calls.Add(1)
	if r.fail.Load() {
		return nil, errors.New("agent failed")
	}
	var routes []queue.Route
	redirected := false
	for _, rc := range rcpts {
		rt := queue.Route{Recipient: rc}
		switch rc.Address {
		case "bob@fabrikam.com":
			rt.Recipient.Address = "carol@fabrikam.com"
			redirected = true
		case "eve@fabrikam.com":
			rt.Drop = true
		case "frank@fabrikam.com":
			rt.Err = &queue.Result{Code: 550, Enhanced: "5.7.1", Text: "dropped by policy"}
		}
		if rt.Err == nil && !rt.Drop {
			rt.Hop, rt.Err = r.Route(ctx, &msg.Envelope, rt.Recipient)
		}
		routes = append(routes, rt)
	}
	if !redirected && !r.alwaysAdd {
		return routes, nil
	}
	add := queue.Recipient{Address: "dave@fabrikam.com"}
	hop, err := r.Route(ctx, &msg.Envelope, add)
	return append(routes, queue.Route{Recipient: add, Hop: hop, Err: err}), nil
}

func TestMessageRouter(t *testing.T) {
	for _, failFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "edits", true: "retry after failure"}[failFirst], func(t *testing.T) {
			r := &editRouter{Router: hopByDomain()}
			r.fail.Store(failFirst)
			d := newScripted(all(ok250))
			h := newHarness(t, queue.WithRouter(r), queue.WithDeliverer(d)) // DefaultRetryPolicy: 4xx retried every minute
			id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"), rcpt("eve@fabrikam.com"), rcpt("frank@fabrikam.com"))
			if failFirst {
				ev := h.wait(t, queue.EventDefer, id)
				if ev.Result.Code != 451 || len(ev.Recipients) != 3 {
					t.Errorf("deferred %v with %v, want all three with 451", ev.Recipients, ev.Result)
				}
				r.fail.Store(false)
				h.clock.Advance(time.Minute)
			}
			// The message and the NDR for frank are delivered in either
			// order.
			got, ndr := d.next(t), d.next(t)
			if got.rcpts[0].Address == "alice@contoso.com" {
				got, ndr = ndr, got
			}
			var addrs []string
			for _, rc := range got.rcpts {
				addrs = append(addrs, rc.Address)
				if rc.Address == "carol@fabrikam.com" && rc.ORCPT != "rfc822;bob@fabrikam.com" {
					t.Errorf("carol's ORCPT %q, want the original recipient", rc.ORCPT)
				}
			}
			slices.Sort(addrs)
			if want := []string{"carol@fabrikam.com", "dave@fabrikam.com"}; !slices.Equal(addrs, want) {
				t.Errorf("delivered to %v, want %v", addrs, want)
			}
			if ndr.rcpts[0].Address != "alice@contoso.com" || !strings.Contains(ndr.body, "frank@fabrikam.com") || strings.Contains(ndr.body, "eve@") {
				t.Errorf("NDR to %v should name frank only (eve was dropped silently):\n%s", ndr.rcpts, ndr.body)
			}
			waitGone(t, h.q, id)
			if want := int32(2 + map[bool]int32{false: 0, true: 1}[failFirst]); r.calls.Load() != want {
				t.Errorf("RouteMessage called %d times, want %d (the NDR included)", r.calls.Load(), want)
			}
		})
	}
}

// The recipients a MessageRouter changed are durable: after a restart the
// message is routed again under them, and what it added is not added
// twice.
func TestMessageRouterRestart(t *testing.T) {
	dir := t.TempDir()
	clock := queuetest.NewFakeClock(t0)
	open := func(d queue.Deliverer) (*queue.Queue, *recorder) {
		t.Helper()
		rec := newRecorder()
		q, err := queue.Open(dir, queue.WithClock(clock), queue.WithEventHook(rec.hook),
			queue.WithRouter(&editRouter{Router: hopByDomain(), alwaysAdd: true}), queue.WithDeliverer(d))
		if err != nil {
			t.Fatal(err)
		}
		return q, rec
	}
	q, rec := open(newScripted(all(tmp451)))
	id, err := q.Enqueue(context.Background(), queue.Envelope{From: "", Recipients: []queue.Recipient{rcpt("bob@fabrikam.com")}}, strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	rec.next(t, new(int), is(queue.EventDefer, id))
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	d := newScripted(all(ok250))
	q, _ = open(d)
	defer q.Close(context.Background())
	mi, err := q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, r := range mi.Recipients {
		addrs = append(addrs, r.Address)
	}
	if want := []string{"carol@fabrikam.com", "dave@fabrikam.com"}; !slices.Equal(addrs, want) {
		t.Fatalf("recipients after restart %v, want %v", addrs, want)
	}
	clock.Advance(time.Minute)
	if got := d.nextFor(t, id); len(got.rcpts) != 2 {
		t.Errorf("delivered to %v after restart, want carol and dave once", got.rcpts)
	}
	waitGone(t, q, id)
}

// headerRouter is a MessageRouter that replaces the header of every
// message, as a routing agent that stamps a field does.
type headerRouter struct {
	queue.Router
	fields string
}

func (r headerRouter) RouteMessage(ctx context.Context, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Route, error) {
	msg.ReplaceHeader([]byte(r.fields))
	routes := make([]queue.Route, len(rcpts))
	for i, rc := range rcpts {
		routes[i].Recipient = rc
		routes[i].Hop, routes[i].Err = r.Route(ctx, &msg.Envelope, rc)
	}
	return routes, nil
}

// A header a MessageRouter replaced is what the deliverer gets, before
// and after a restart (which routes the message again over the new
// header): the record keeps it durably.
func TestMessageRouterReplacesHeader(t *testing.T) {
	const stored = "Subject: as received\r\nFrom: alice@contoso.com\r\n\r\nbody line 1\r\nbody line 2\r\n"
	const fields = "Subject: as routed\r\nX-Routing-Agent: stamped\r\n"
	dir := t.TempDir()
	clock := queuetest.NewFakeClock(t0)
	open := func(d queue.Deliverer) *queue.Queue {
		t.Helper()
		q, err := queue.Open(dir, queue.WithClock(clock),
			queue.WithRouter(headerRouter{Router: hopByDomain(), fields: fields}), queue.WithDeliverer(d))
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	want := fields + "\r\nbody line 1\r\nbody line 2\r\n"
	d := newScripted(all(tmp451))
	q := open(d)
	id, err := q.Enqueue(context.Background(), queue.Envelope{From: "alice@contoso.com",
		Recipients: []queue.Recipient{rcpt("bob@fabrikam.com")}}, strings.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.nextFor(t, id); got.body != want {
		t.Fatalf("delivered body %q, want %q", got.body, want)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	d = newScripted(all(ok250))
	q = open(d)
	defer q.Close(context.Background())
	clock.Advance(time.Minute)
	if got := d.nextFor(t, id); got.body != want {
		t.Fatalf("delivered body after restart %q, want %q", got.body, want)
	}
	waitGone(t, q, id)
}

func TestReheaderedBodies(t *testing.T) {
	const fields = "X-New: 1\r\n"
	for _, tc := range []struct{ name, stored, want string }{
		{"header and body", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "X-New: 1\r\n\r\nbody\r\n"},
		{"bare LF", "A: 1\n\nbody\n", "X-New: 1\r\n\r\nbody\n"},
		{"empty body", "A: 1\r\n\r\n", "X-New: 1\r\n\r\n"},
		{"no empty line", "A: 1\r\n", "X-New: 1\r\n\r\n"},
		{"folded field", "A: 1\r\n 2\r\n\r\nbody\r\n", "X-New: 1\r\n\r\nbody\r\n"},
		{"long line", "A: " + strings.Repeat("x", 10000) + "\r\n\r\nbody\r\n", "X-New: 1\r\n\r\nbody\r\n"},
		{"blank line inside a long line", "A: " + strings.Repeat("x", 4095) + "\r\n\r\nbody\r\n", "X-New: 1\r\n\r\nbody\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newScripted(all(ok250))
			h := newHarness(t, queue.WithRouter(headerRouter{Router: hopByDomain(), fields: fields}), queue.WithDeliverer(d))
			id, err := h.q.Enqueue(context.Background(), queue.Envelope{From: "alice@contoso.com",
				Recipients: []queue.Recipient{rcpt("bob@fabrikam.com")}}, strings.NewReader(tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.nextFor(t, id); got.body != tc.want {
				t.Errorf("body %q, want %q", got.body, tc.want)
			}
		})
	}
}
