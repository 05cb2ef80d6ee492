package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

func TestCloseCancelsDeliveries(t *testing.T) {
	g := newGated()
	q, err := queue.Open(t.TempDir(), queue.WithRouter(hopByDomain()), queue.WithDeliverer(g))
	if err != nil {
		t.Fatal(err)
	}
	env := queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{rcpt("b@fabrikam.com")}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	g.waitEntered(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a delivery stuck: %v", err)
	}
	goleak.VerifyNone(t)
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("x")); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}
	if err := q.Close(context.Background()); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// TestRestartResumes: a deferred recipient keeps its attempt count and
// retry time across a restart, and its delivery completes afterwards.
func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	clock := queuetest.NewFakeClock(t0)
	rec := newRecorder()
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": tmp451}))
	q, err := queue.Open(dir, queue.WithClock(clock), queue.WithEventHook(rec.hook), queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	if err != nil {
		t.Fatal(err)
	}
	id, err := q.Enqueue(context.Background(), queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{rcpt("b@fabrikam.com"), rcpt("c@adatum.com")}}, strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	rec.next(t, new(int), is(queue.EventDeliver, id)) // adatum.com
	rec.next(t, new(int), is(queue.EventDefer, id))   // fabrikam.com
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	d = newScripted(all(ok250))
	rec = newRecorder()
	q, err = queue.Open(dir, queue.WithClock(clock), queue.WithEventHook(rec.hook), queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	mi, err := q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if mi.RetryCount != 1 || !mi.NextRetryTime.Equal(t0.Add(time.Minute)) || mi.Recipients[1].Status != "Delivered" {
		t.Fatalf("after restart: %+v", mi)
	}
	clock.Advance(time.Minute)
	call := d.nextFor(t, id)
	if len(call.rcpts) != 1 || call.rcpts[0].Address != "b@fabrikam.com" || call.body != testBody {
		t.Fatalf("resumed delivery %+v", call)
	}
	rec.next(t, new(int), is(queue.EventDeliver, id))
	waitGone(t, q, id)
}
