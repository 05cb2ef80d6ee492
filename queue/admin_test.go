package queue_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// gated is a Deliverer that holds each call until released.
type gated struct {
	entered chan queue.ID
	release chan queue.Result
}

func newGated() *gated {
	return &gated{entered: make(chan queue.ID, 16), release: make(chan queue.Result)}
}

func (g *gated) Deliver(ctx context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	g.entered <- msg.ID
	select {
	case r := <-g.release:
		out := make([]queue.Result, len(rcpts))
		for i := range out {
			out[i] = r
		}
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *gated) waitEntered(t *testing.T) queue.ID {
	t.Helper()
	select {
	case id := <-g.entered:
		return id
	case <-timeout():
		t.Fatal("no delivery started")
	}
	return ""
}

func waitStatus(t *testing.T, q *queue.Queue, id queue.ID, want queue.MessageStatus) {
	t.Helper()
	if !pollUntil(func() bool { mi, err := q.Message(id); return err == nil && mi.Status == want }) {
		mi, err := q.Message(id)
		t.Fatalf("message status %q (%v), want %q", mi.Status, err, want)
	}
}

func TestSuspendResumeQueue(t *testing.T) {
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	first := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	d.next(t)
	h.wait(t, queue.EventDeliver, first)
	if err := h.q.SuspendQueue(fabrikamQueue); err != nil {
		t.Fatal(err)
	}
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	if !pollUntil(func() bool { return queueInfo(t, h.q, fabrikamQueue).MessageCount == 1 }) {
		t.Fatal("message did not enter the suspended queue")
	}
	if qi := queueInfo(t, h.q, fabrikamQueue); qi.Status != queue.QueueSuspended {
		t.Errorf("status %s", qi.Status)
	}
	if d.pending() != 0 {
		t.Fatal("delivered from a suspended queue")
	}
	if err := h.q.ResumeQueue(fabrikamQueue); err != nil {
		t.Fatal(err)
	}
	d.next(t)
	h.wait(t, queue.EventDeliver, id)
}

func TestSuspendResumeMessageAndExport(t *testing.T) {
	g := newGated()
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(g))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	g.waitEntered(t)
	if err := h.q.Export(id, new(bytes.Buffer)); !errors.Is(err, queue.ErrInvalidState) {
		t.Errorf("Export of an active message: %v", err)
	}
	if err := h.q.SuspendMessage(id); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h.q, id, queue.MessagePendingSuspend)
	g.release <- tmp451
	h.wait(t, queue.EventDefer, id)
	waitStatus(t, h.q, id, queue.MessageSuspended)
	var out bytes.Buffer
	if err := h.q.Export(id, &out); err != nil || out.String() != testBody {
		t.Fatalf("Export = %q, %v", out.String(), err)
	}
	h.clock.Advance(10 * time.Minute) // past the retry time: still suspended
	if got := len(h.q.Messages(queue.Filter{Status: queue.MessageSuspended})); got != 1 {
		t.Errorf("%d suspended messages", got)
	}
	if err := h.q.ResumeMessage(id); err != nil {
		t.Fatal(err)
	}
	g.waitEntered(t)
	g.release <- ok250
	h.wait(t, queue.EventDeliver, id)
}

func TestRemoveMessage(t *testing.T) {
	g := newGated()
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(g))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	g.waitEntered(t)
	if err := h.q.RemoveMessage(id, false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, h.q, id, queue.MessagePendingRemove)
	g.release <- tmp451
	h.wait(t, queue.EventRemove, id)
	waitGone(t, h.q, id)
	if n := h.rec.count(queue.EventDSN); n != 0 {
		t.Errorf("%d DSNs after removal without NDR", n)
	}
	if err := h.q.RemoveMessage(id, true); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("second removal: %v", err)
	}
}

func TestRetryQueue(t *testing.T) {
	fail := make(chan bool, 2)
	fail <- true
	fail <- false
	d := newScripted(func(dl delivery) ([]queue.Result, error) {
		if <-fail {
			return nil, errors.New("connection timed out")
		}
		return all(ok250)(dl)
	})
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	d.next(t)
	h.wait(t, queue.EventDefer, id)
	if err := h.q.RetryQueue(fabrikamQueue); err != nil {
		t.Fatal(err)
	}
	d.next(t) // no clock advance needed
	h.wait(t, queue.EventDeliver, id)
	if !pollUntil(func() bool { return queueInfo(t, h.q, fabrikamQueue).Status == queue.QueueReady }) {
		t.Fatalf("queue %+v", queueInfo(t, h.q, fabrikamQueue))
	}
	if err := h.q.RetryQueue(fabrikamQueue); !errors.Is(err, queue.ErrInvalidState) {
		t.Errorf("RetryQueue on a Ready queue: %v", err)
	}
}

func TestAdminErrors(t *testing.T) {
	h := newHarness(t)
	for name, err := range map[string]error{
		"SuspendQueue":   h.q.SuspendQueue("nope"),
		"RetryQueue":     h.q.RetryQueue("nope"),
		"SuspendMessage": h.q.SuspendMessage("nope"),
		"ResumeMessage":  h.q.ResumeMessage("nope"),
		"RemoveMessage":  h.q.RemoveMessage("nope", true),
		"Export":         h.q.Export("nope", new(bytes.Buffer)),
	} {
		if !errors.Is(err, queue.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if err := h.q.SuspendQueue(queue.QueuePoison); !errors.Is(err, queue.ErrInvalidState) {
		t.Errorf("suspend Poison: %v", err)
	}
	// Without a Router the message waits in Submission.
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	got := h.q.Messages(queue.Filter{Queue: queue.QueueSubmission, From: "ALICE@contoso.com"})
	if len(got) != 1 || got[0].ID != id {
		t.Errorf("Messages(Submission) = %+v", got)
	}
}

func TestMaxPerHop(t *testing.T) {
	g := newGated()
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(g), queue.WithMaxPerHop(2))
	for range 5 {
		h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	}
	g.waitEntered(t)
	g.waitEntered(t)
	if !pollUntil(func() bool { return queueInfo(t, h.q, fabrikamQueue).MessageCount == 5 }) {
		t.Fatal("messages not routed")
	}
	if n := len(h.q.Messages(queue.Filter{Status: queue.MessageActive})); n != 2 {
		t.Errorf("%d deliveries in flight, want 2 (MaxPerHop)", n)
	}
	if qi := queueInfo(t, h.q, fabrikamQueue); qi.Status != queue.QueueActive {
		t.Errorf("queue status %s", qi.Status)
	}
	for range 5 {
		g.release <- ok250
		if !pollUntil(func() bool { return len(h.q.Messages(queue.Filter{Status: queue.MessageActive})) <= 2 }) {
			t.Fatal("limit exceeded")
		}
	}
}

// A DEFER event says when its recipients are tried again: MessageRetryInterval
// after the attempt.
func TestDeferEventNextRetry(t *testing.T) {
	d := queue.DelivererFunc(func(context.Context, queue.NextHop, *queue.Message, []queue.Recipient) ([]queue.Result, error) {
		return []queue.Result{tmp451}, nil
	})
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	ev := h.wait(t, queue.EventDefer, id)
	if want := ev.Time.Add(queue.DefaultRetryPolicy().MessageRetryInterval); !ev.NextRetry.Equal(want) {
		t.Errorf("DEFER NextRetry %v, want %v (attempt at %v)", ev.NextRetry, want, ev.Time)
	}
}

// A queue held from outside (a pool's state) stays suspended from its
// creation on, whatever SuspendQueue and ResumeQueue say, until released.
func TestHoldQueues(t *testing.T) {
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	h.q.HoldQueues([]string{fabrikamQueue}) // before the queue exists
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	entered := func() bool {
		for _, qi := range h.q.Queues() {
			if qi.Identity == fabrikamQueue && qi.MessageCount == 1 {
				return true
			}
		}
		return false
	}
	if !pollUntil(entered) {
		t.Fatal("message did not enter the held queue")
	}
	if err := h.q.ResumeQueue(fabrikamQueue); err != nil {
		t.Fatal(err)
	}
	if qi := queueInfo(t, h.q, fabrikamQueue); qi.Status != queue.QueueSuspended {
		t.Errorf("held queue after ResumeQueue: status %s", qi.Status)
	}
	if d.pending() != 0 {
		t.Fatal("delivered from a held queue")
	}
	h.q.HoldQueues(nil)
	d.next(t)
	h.wait(t, queue.EventDeliver, id)
}
