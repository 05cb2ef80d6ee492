package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// armClock reports each timer of duration d being armed.
type armClock struct {
	*queuetest.FakeClock
	d     time.Duration
	armed chan struct{}
}

func (c armClock) AfterFunc(d time.Duration, f func()) queue.Timer {
	if d == c.d {
		c.armed <- struct{}{}
	}
	return c.FakeClock.AfterFunc(d, f)
}

// Enqueue waits while more messages wait for a connection than the busy
// next hop has; a delivery starting lets it go, and it never waits longer
// than the in-flow delay.
func TestInFlowDelay(t *testing.T) {
	const delay = 7 * time.Second // no other timer of the queue has it
	clock := armClock{queuetest.NewFakeClock(t0), delay, make(chan struct{}, 4)}
	gate := make(chan struct{})
	d := newScripted(func(d delivery) ([]queue.Result, error) {
		<-gate
		return all(ok250)(d)
	})
	q, err := queue.OpenMemory(queue.WithClock(clock), queue.WithDeliverer(d), queue.WithRouter(hopByDomain()),
		queue.WithMaxPerHop(1), queue.WithInFlowDelay(delay), queue.WithReportingMTA("hub1.contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(gate)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := q.Close(ctx); err != nil && !errors.Is(err, queue.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	enqueue := func() <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := q.Enqueue(context.Background(), queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{rcpt("bob@fabrikam.com")}}, strings.NewReader(testBody))
			done <- err
		}()
		return done
	}
	wait := func(done <-chan error, what string) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("%s: Enqueue still waiting", what)
		}
	}
	armed := func(what string) {
		t.Helper()
		select {
		case <-clock.armed:
		case <-time.After(waitTimeout):
			t.Fatalf("%s: Enqueue did not wait", what)
		}
	}

	wait(enqueue(), "first") // delivered at once, and held there
	d.next(t)
	wait(enqueue(), "second") // waits for the connection: 1 of 1
	wait(enqueue(), "third")  // 2 waiting for 1 connection from here on
	hop := queue.NextHop{Connector: "Internet", Kind: "DnsConnectorDelivery", Domain: "fabrikam.com"}.Key()
	routed := func(n int) { // Enqueue returns before the message is routed
		t.Helper()
		queuetest.WaitQueue(t, q, hop, func(qi queue.QueueInfo) bool { return qi.MessageCount == n })
	}
	routed(3)

	fourth := enqueue()
	armed("fourth")
	select {
	case err := <-fourth:
		t.Fatalf("fourth Enqueue returned (%v) while deliveries were behind", err)
	default:
	}
	gate <- struct{}{} // the first delivery ends, the second starts
	wait(fourth, "fourth after a delivery started")
	d.next(t)
	routed(3) // the second in delivery, the third and fourth waiting

	fifth := enqueue() // the third and fourth wait for 1 connection
	armed("fifth")
	clock.Advance(delay)
	wait(fifth, "fifth after the in-flow delay")

	// Close does not wait out a waiting Enqueue: no delivery starts any
	// more, and the fake clock never moves.
	sixth := enqueue()
	armed("sixth")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- q.Close(ctx) }()
	select {
	case <-sixth: // whatever it returns: Close raced its commit
	case <-time.After(waitTimeout):
		t.Fatal("Enqueue still waiting after Close began")
	}
	gate <- struct{}{} // the delivery in progress ends; Close can finish
	if err := <-closed; err != nil {
		t.Fatalf("Close with an Enqueue waiting: %v", err)
	}
}
