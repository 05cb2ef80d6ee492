package queue_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// switchRouter routes every recipient through connector "Old" until
// moved, then through "New": a routing configuration that changes.
func switchRouter(moved *atomic.Bool) queue.Router {
	return queue.RouterFunc(func(_ context.Context, _ *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
		c := "Old"
		if moved.Load() {
			c = "New"
		}
		return queue.NextHop{Connector: c, Kind: "SmartHostConnectorDelivery", Domain: c}, nil
	})
}

// A recipient waiting for its retry on one hop goes to the hop the
// changed configuration names, at its retry time; one whose delivery was
// in flight at the change follows when that attempt ends.
func TestReroute(t *testing.T) {
	for _, inFlight := range []bool{false, true} {
		name := map[bool]string{false: "waiting", true: "in flight"}[inFlight]
		t.Run(name, func(t *testing.T) {
			var moved atomic.Bool
			release := make(chan struct{})
			d := newScripted(func(dl delivery) ([]queue.Result, error) {
				if dl.hop.Connector == "New" {
					return all(ok250)(dl)
				}
				if inFlight {
					<-release
				}
				return all(tmp451)(dl)
			})
			retry := queue.DefaultRetryPolicy()
			retry.MessageRetryInterval = 3 * time.Minute
			h := newHarness(t, queue.WithRouter(switchRouter(&moved)), queue.WithDeliverer(d), queue.WithRetryPolicy(retry))
			id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
			if got := d.next(t).hop.Connector; got != "Old" {
				t.Fatalf("first attempt through %q", got)
			}
			moved.Store(true)
			want := 1
			if inFlight {
				want = 0
			}
			if n := h.q.Reroute(); n != want {
				t.Errorf("Reroute resubmitted %d now, want %d", n, want)
			}
			if inFlight {
				close(release)
				h.wait(t, queue.EventDefer, id)
			}
			h.wait(t, queue.EventResubmit, id)
			h.clock.Advance(3 * time.Minute)
			if got := d.next(t).hop.Connector; got != "New" {
				t.Errorf("retry through %q, want New", got)
			}
			h.wait(t, queue.EventDeliver, id)
			waitGone(t, h.q, id)
		})
	}
}
