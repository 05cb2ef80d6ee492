package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/jackc/pgx/v5"
)

// wantLocalError checks that err is what a receive session answers
// 451 4.3.0 for: never a 250, and a retry rather than a bounce.
func wantLocalError(t *testing.T, err error, when string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Enqueue %s succeeded", when)
	}
	if !errors.Is(err, queue.ErrStoreFailed) {
		t.Fatalf("Enqueue %s: %v, want ErrStoreFailed", when, err)
	}
	if r := smtpx.Status(err); r.Code != 451 || r.Enhanced() != "4.3.0" {
		t.Fatalf("Enqueue %s is answered %v, want 451 4.3.0", when, r)
	}
}

// restartAttempts bounds the enqueues a hub may refuse after PostgreSQL
// restarted: one per connection of its pool the restart broke.
const restartAttempts = 10

func tryEnqueue(q *queue.Queue) (queue.ID, error) {
	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
	return q.Enqueue(context.Background(), env, strings.NewReader("Subject: fault\r\n\r\nhello\r\n"))
}

// While PostgreSQL is down the hub refuses new mail with 451 4.3.0, and
// it takes mail again by itself once the database is back.
func TestDatabaseDown(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	delivered := make(chan queue.ID, 1)
	_, q := openHub(t, dsn, "hubA", pgstore.Config{}, queue.WithDeliverer(answer(250, delivered)))
	defer q.Close(context.Background())
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err := tryEnqueue(q)
	wantLocalError(t, err, "while PostgreSQL is down")
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	// A pooled connection the restart broke may fail one enqueue more
	// (451 4.3.0 again: the client retries); each failure discards that
	// connection, so the hub takes mail again within a few attempts.
	var id queue.ID
	for attempt := 1; ; attempt++ {
		if id, err = tryEnqueue(q); err == nil {
			break
		}
		wantLocalError(t, err, "right after the restart")
		if attempt == restartAttempts {
			t.Fatalf("Enqueue once PostgreSQL is back, %d attempts: %v", attempt, err)
		}
	}
	if got := wait(t, delivered, "delivery after the restart"); got != id {
		t.Fatalf("delivered %s, want %s", got, id)
	}
}

// A connection cut while the transaction of an enqueue is under way is
// reported as a failure, and nothing of the message is left behind.
func TestConnectionLostMidTransaction(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	// No heartbeat may wait for the hub's row beside the enqueue, or the
	// test could cut the heartbeat's connection instead (it did, under
	// load): heartbeats run on a clock that stands still, under a lease
	// longer than the test.
	cfg := pgstore.Config{Clock: queuetest.NewFakeClock(t0), Lease: 10 * time.Minute}
	_, q := openHub(t, dsn, "hubA", cfg, queue.WithDeliverer(answer(250, make(chan queue.ID, 1))))
	defer q.Close(context.Background())
	ctx := context.Background()
	lock, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	// Holding the hub's row stops the enqueue's transaction at its first
	// statement, inside the transaction, where the test cuts it.
	tx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM hubedge_hubs WHERE name = 'hubA' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := tryEnqueue(q); done <- err }()
	killed := 0
	deadline := time.Now().Add(failAfter)
	for killed == 0 && time.Now().Before(deadline) {
		// pg_stat_activity shows the backend once it waits for the lock.
		err := tx.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'hubedge hubA' AND wait_event_type = 'Lock'`).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
	}
	if killed == 0 {
		t.Fatal("the enqueue never waited for the hub's row")
	}
	wantLocalError(t, wait(t, done, "Enqueue's answer"), "whose connection was cut")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := lock.QueryRow(ctx, "SELECT (SELECT count(*) FROM hubedge_messages) + (SELECT count(*) FROM hubedge_chunks)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows of the failed enqueue left in the database", n)
	}
	if _, err := tryEnqueue(q); err != nil {
		t.Fatalf("Enqueue after the cut: %v", err)
	}
}

// A delivery attempt that cannot be marked in flight because the
// database is down is not the next hop's fault: the hop does not go into
// Retry for TransientFailureRetryInterval (5 min), and the message goes
// out seconds after the database is back.
func TestDatabaseDownDuringDelivery(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	clock := queuetest.NewFakeClock(t0)
	tried := make(chan queue.ID, 10)
	deferred := make(chan queue.Event, 10)
	var first atomic.Bool
	first.Store(true)
	deliverer := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if first.Swap(false) {
			return answer(451, tried)(ctx, hop, msg, rcpts)
		}
		return answer(250, tried)(ctx, hop, msg, rcpts)
	})
	_, q := openHub(t, dsn, "hubA", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(deliverer),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDefer {
				deferred <- e
			}
		}))
	defer q.Close(context.Background())
	id := enqueue(t, q, "bob@fabrikam.com")
	wait(t, tried, "first attempt")
	wait(t, deferred, "first deferral")
	m, err := q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	clock.Set(m.NextRetryTime)
	if e := wait(t, deferred, "the attempt made while the database is down"); !errors.Is(e.Err, queue.ErrStoreFailed) {
		t.Fatalf("attempt while the database is down deferred with %v, want ErrStoreFailed", e.Err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if got := wait(t, tried, "delivery once the database is back"); got != id {
		t.Fatalf("delivered %s, want %s", got, id)
	}
}

// Nor is a body read that fails because the database went away in the
// middle of the attempt.
func TestDatabaseDownDuringBodyRead(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	clock := queuetest.NewFakeClock(t0)
	opened, down := make(chan struct{}), make(chan struct{})
	delivered := make(chan queue.ID, 1)
	deferred := make(chan queue.Event, 10)
	var first atomic.Bool
	first.Store(true)
	deliverer := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if !first.Swap(false) {
			return answer(250, delivered)(ctx, hop, msg, rcpts)
		}
		rc, err := msg.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		close(opened)
		<-down
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return nil, err
		}
		return nil, errors.New("the body read did not fail")
	})
	_, q := openHub(t, dsn, "hubA", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(deliverer),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDefer {
				deferred <- e
			}
		}))
	defer q.Close(context.Background())
	id := enqueue(t, q, "bob@fabrikam.com")
	wait(t, opened, "the attempt to open the body")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	close(down)
	if e := wait(t, deferred, "the attempt whose body read failed"); !errors.Is(e.Err, queue.ErrStoreFailed) {
		t.Fatalf("attempt deferred with %v, want ErrStoreFailed", e.Err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if got := wait(t, delivered, "delivery once the database is back"); got != id {
		t.Fatalf("delivered %s, want %s", got, id)
	}
}

// A delivered message whose deletion could not be committed (the database
// went away just then) is deleted once the database is back, instead of
// staying in the pool's queue to be delivered again by whichever hub
// inherits it.
func TestDeleteRetriedAfterDatabaseDown(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	clock := queuetest.NewFakeClock(t0)
	read, down := make(chan struct{}), make(chan struct{})
	failed := make(chan string, 10)
	deliverer := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		rc, err := msg.Open()
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		close(read)
		<-down
		return []queue.Result{{Code: 250, Enhanced: "2.0.0"}}, nil
	})
	// Heartbeats run on the fake clock, which stands still, and the lease
	// on the database's: a lease longer than the test keeps a slow restart
	// from lapsing it (a lapsed hub drops the message, fenced, and the
	// deletion under test never comes).
	_, q := openHub(t, dsn, "hubA", pgstore.Config{Clock: clock, Lease: 10 * time.Minute}, queue.WithClock(clock), queue.WithDeliverer(deliverer),
		queue.WithLogger(slog.New(notifyHandler{match: "persist message state", msgs: failed})))
	defer q.Close(context.Background())
	enqueue(t, q, "bob@fabrikam.com")
	wait(t, read, "the body read")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	close(down)
	wait(t, failed, "the failed deletion")
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	n := -1
	// The retry commits from a timer of the queue's, which may be armed
	// only after a first advance of the clock has passed it by: advance
	// the clock while watching the table.
	for deadline := time.Now().Add(failAfter); n != 0 && time.Now().Before(deadline); {
		clock.Advance(time.Minute)
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM hubedge_messages").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if n != 0 {
		t.Fatalf("%d delivered messages still in the queue after the database came back", n)
	}
}
