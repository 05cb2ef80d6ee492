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
)

// editRouter is a MessageRouter that redirects bob to carol, adds dave,
// drops eve without and frank with an NDR, and fails the whole message
// while fail is set.
type editRouter struct {
	queue.Router
	fail  atomic.Bool
	calls atomic.Int32
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
	if !redirected {
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
			h := newHarness(t, queue.WithRouter(r), queue.WithDeliverer(d), queue.WithMessageRetryInterval(time.Minute))
			id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"), rcpt("eve@fabrikam.com"), rcpt("frank@fabrikam.com"))
			if failFirst {
				ev := h.wait(t, queue.EventDefer, id)
				if ev.Result.Code != 451 || len(ev.Recipients) != 3 {
					t.Errorf("deferred %v with %v, want all three with 451", ev.Recipients, ev.Result)
				}
				r.fail.Store(false)
				h.clock.Advance(time.Minute)
			}
			got := d.next(t)
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
			ndr := d.next(t)
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
