package pgpool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
)

var relayQueue = queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.fabrikam.com"}.Key()

func waitTried(t *testing.T, tried <-chan queue.ID, what string) queue.ID {
	t.Helper()
	select {
	case id := <-tried:
		return id
	case <-time.After(queuetest.WaitDeadline):
		t.Fatalf("no %s within %v", what, queuetest.WaitDeadline)
		return ""
	}
}

// waiting waits until q's relay queue holds n messages, none in flight,
// waiting for their retry time.
func waiting(t *testing.T, q *queue.Queue, n int) {
	t.Helper()
	queuetest.WaitQueue(t, q, relayQueue, func(qi queue.QueueInfo) bool {
		return qi.MessageCount == n && qi.Status != queue.QueueActive && !qi.NextRetryTime.IsZero()
	})
}

func poolQueue(t *testing.T, p *pgpool.Pool, hub, identity string) pgpool.Queue {
	t.Helper()
	qs, err := p.Queues(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Hub == hub && q.Identity == identity {
			return q
		}
	}
	t.Fatalf("no queue %s of %s in %+v", identity, hub, qs)
	return pgpool.Queue{}
}

// Get-Queue from either hub lists both hubs' queues; Suspend-Queue of a
// next hop from hubA stops hubB's deliveries to it until Resume-Queue;
// Retry-Queue of hubB's queue from hubA makes hubB try at once.
func TestPoolQueues(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	triedA, triedB := make(chan queue.ID, 10), make(chan queue.ID, 10)
	qA, pA := hub(t, dsn, "hubA", clock, triedA, nil)
	qB, pB := hub(t, dsn, "hubB", clock, triedB, nil)
	enqueue := func(q *queue.Queue) queue.ID {
		env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
		id, err := q.Enqueue(ctx, env, strings.NewReader("Subject: pool\r\n\r\nhello\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	enqueue(qA)
	waitTried(t, triedA, "hubA's first attempt")
	b1 := enqueue(qB)
	waitTried(t, triedB, "hubB's first attempt")
	waiting(t, qA, 1)
	waiting(t, qB, 1)
	for _, p := range []*pgpool.Pool{pA, pB} {
		if err := p.Publish(ctx); err != nil { // what their heartbeats do
			t.Fatal(err)
		}
	}
	for name, p := range map[string]*pgpool.Pool{"hubA": pA, "hubB": pB} {
		for _, hub := range []string{"hubA", "hubB"} {
			if q := poolQueue(t, p, hub, relayQueue); q.MessageCount != 1 || q.NextHopDomain != "relay.fabrikam.com" || q.NextRetryTime.IsZero() {
				t.Errorf("%s sees %s's queue as %+v", name, hub, q)
			}
			poolQueue(t, p, hub, queue.QueueSubmission)
		}
	}

	if m, err := pA.Message(ctx, b1); err != nil || m.Hub != "hubB" || m.From != "alice@contoso.com" {
		t.Errorf("hubA's look at hubB's message: %+v, %v", m, err)
	}
	if _, err := pA.Message(ctx, "01JZZZZZZZZZZZZZZZZZZZZZZZ"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("a message nobody has: %v", err)
	}

	// Suspended from hubA, the next hop stops in hubB too.
	if err := pA.SuspendQueue(ctx, "hubB", relayQueue); err != nil {
		t.Fatal(err)
	}
	if q := poolQueue(t, pA, "hubB", relayQueue); q.Status != queue.QueueSuspended {
		t.Errorf("hubA sees hubB's suspended queue as %s", q.Status)
	}
	if q := poolQueue(t, pB, "hubB", relayQueue); q.Status != queue.QueueSuspended { // hubB reads the pool state
		t.Errorf("hubB's own queue after Suspend-Queue from hubA: %s", q.Status)
	}
	b2 := enqueue(qB)
	queuetest.WaitQueue(t, qB, relayQueue, func(qi queue.QueueInfo) bool { return qi.MessageCount == 2 })
	clock.Advance(time.Hour) // past every retry time
	if err := pA.RetryQueue(ctx, "hubB", relayQueue); err != nil {
		t.Fatal(err)
	}
	if _, err := pB.RunCommands(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pA.ResumeQueue(ctx, "hubA", relayQueue); err != nil { // any hub's queue resumes the next hop
		t.Fatal(err)
	}
	if len(triedB) != 0 {
		t.Fatal("hubB delivered to a suspended next hop")
	}
	if _, err := pB.Queues(ctx); err != nil { // hubB's heartbeat would do it
		t.Fatal(err)
	}
	got := map[queue.ID]bool{waitTried(t, triedB, "hubB's attempt after Resume-Queue"): true,
		waitTried(t, triedB, "hubB's second attempt after Resume-Queue"): true}
	if !got[b1] || !got[b2] {
		t.Fatalf("hubB tried %v after Resume-Queue, want %s and %s", got, b1, b2)
	}
	if q := poolQueue(t, pA, "hubB", relayQueue); q.Status == queue.QueueSuspended { // hubB published on resuming
		t.Errorf("hubA sees hubB's resumed queue as %s", q.Status)
	}

	// Retry-Queue from hubA reaches hubB's queue, now waiting for its
	// retry time again.
	waiting(t, qB, 2)
	if err := pB.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pA.RetryQueue(ctx, "hubB", relayQueue); err != nil {
		t.Fatal(err)
	}
	if n, err := pB.RunCommands(ctx); err != nil || n != 1 {
		t.Fatalf("hubB ran %d commands, %v", n, err)
	}
	waitTried(t, triedB, "hubB's attempt after Retry-Queue")
	waitTried(t, triedB, "hubB's attempt after Retry-Queue")

	if err := pA.SuspendQueue(ctx, "hubB", queue.QueuePoison); !errors.Is(err, queue.ErrInvalidState) {
		t.Errorf("Suspend-Queue of Poison: %v", err)
	}
	if err := pA.SuspendQueue(ctx, "hubC", relayQueue); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Suspend-Queue of a hub not in the pool: %v", err)
	}
}

// A next hop suspended for the pool stays listed, and can be resumed,
// when no hub has a queue to it any more.
func TestSuspendedQueueWithoutMessages(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	_, pA := hub(t, dsn, "hubA", clock, make(chan queue.ID, 1), nil)
	other, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: "hubB", NoNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.HoldQueue(ctx, relayQueue, true); err != nil {
		t.Fatal(err)
	}
	q := poolQueue(t, pA, "hubA", relayQueue)
	if q.Status != queue.QueueSuspended || q.NextHopDomain != "relay.fabrikam.com" || q.MessageCount != 0 {
		t.Fatalf("suspended next hop without a queue: %+v", q)
	}
	if err := pA.ResumeQueue(ctx, "hubA", relayQueue); err != nil {
		t.Fatal(err)
	}
	if held, err := other.Holds(ctx); err != nil || len(held) != 0 {
		t.Fatalf("suspended queues after Resume-Queue: %v, %v", held, err)
	}
}
