package pgpool_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var smartHost = queue.RouterFunc(func(context.Context, *queue.Envelope, queue.Recipient) (queue.NextHop, error) {
	return queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.fabrikam.com"}, nil
})

// deferAll answers 451 to every recipient and reports each attempt as it
// starts.
func deferAll(tried chan<- queue.ID) queue.DelivererFunc {
	return func(_ context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		tried <- msg.ID
		res := make([]queue.Result, len(rcpts))
		for i := range res {
			res[i] = queue.Result{Code: 451, Enhanced: "4.4.0", Text: "try later"}
		}
		return res, nil
	}
}

// hub opens a hub of the pool whose every attempt is deferred. tried gets
// each attempt's message as the attempt starts; deferred, when not nil,
// gets it once the queue has applied the 451, so that its status reads
// Retry (the store's commit of it may still be under way).
func hub(t *testing.T, dsn, name string, clock *queuetest.FakeClock, tried, deferred chan<- queue.ID) (*queue.Queue, *pgpool.Pool) {
	t.Helper()
	// Heartbeats run on a clock nothing advances, and notifications are
	// off: the tests do that work themselves (RunCommands, Publish,
	// Queues), so nothing does it behind their back.
	s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: dsn, Hub: name, Clock: queuetest.NewFakeClock(clock.Now()), NoNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.OpenStore(s, queue.WithClock(clock), queue.WithRouter(smartHost), queue.WithDeliverer(deferAll(tried)),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDefer && deferred != nil {
				deferred <- e.ID
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q, pgpool.Attach(q, s)
}

func wantStatus(t *testing.T, q *queue.Queue, id queue.ID, want queue.MessageStatus) {
	t.Helper()
	if m, err := q.Message(id); err != nil || m.Status != want {
		t.Fatalf("message %s: %+v, %v; want status %s", id, m, err, want)
	}
}

// One hub lists and acts on the messages another hub owns.
func TestPoolWideAdmin(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	tried, deferred := make(chan queue.ID, 10), make(chan queue.ID, 10)
	qA, pA := hub(t, dsn, "hubA", clock, tried, deferred)
	qB, pB := hub(t, dsn, "hubB", clock, tried, deferred)
	ctx := context.Background()
	enqueue := func(q *queue.Queue) queue.ID {
		env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
		id, err := q.Enqueue(ctx, env, strings.NewReader("Subject: pool\r\n\r\nhello\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		waitTried(t, deferred, "deferred attempt")
		return id
	}
	a, b := enqueue(qA), enqueue(qB)

	msgs, err := pB.Messages(ctx, queue.Filter{From: "Alice@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[queue.ID]string{}
	for _, m := range msgs {
		owners[m.ID] = m.Hub
		if m.ID == b && m.Status != queue.MessageRetry {
			t.Errorf("hubB's own message %s is %s, want Retry", b, m.Status)
		}
	}
	if len(msgs) != 2 || owners[a] != "hubA" || owners[b] != "hubB" {
		t.Fatalf("pool messages seen from hubB = %+v, want hubA's %s and hubB's %s", msgs, a, b)
	}

	run := func(p *pgpool.Pool, want int) {
		t.Helper()
		if n, err := p.RunCommands(ctx); err != nil || n != want {
			t.Fatalf("RunCommands = %d, %v; want %d", n, err, want)
		}
	}
	if err := pB.SuspendMessage(ctx, a); err != nil {
		t.Fatal(err)
	}
	run(pB, 0) // the command is for hubA
	run(pA, 1)
	wantStatus(t, qA, a, queue.MessageSuspended)
	if err := pB.ResumeMessage(ctx, a); err != nil {
		t.Fatal(err)
	}
	run(pA, 1)
	wantStatus(t, qA, a, queue.MessageRetry)
	if err := pA.RemoveMessage(ctx, b, false); err != nil {
		t.Fatal(err)
	}
	if err := pB.RemoveMessage(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	run(pB, 1)
	run(pA, 1)
	if msgs, err := pA.Messages(ctx, queue.Filter{}); err != nil || len(msgs) != 0 {
		t.Fatalf("pool after removing both: %+v, %v", msgs, err)
	}
}
