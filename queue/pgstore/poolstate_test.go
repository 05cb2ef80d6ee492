package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/queue/storage"
)

var relayQueue = queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.fabrikam.com"}.Key()

// holding waits until q's queue identity holds n messages.
func holding(t *testing.T, q *queue.Queue, identity string, n int) queue.QueueInfo {
	t.Helper()
	return queuetest.WaitQueue(t, q, identity, func(qi queue.QueueInfo) bool { return qi.MessageCount == n })
}

// A delivery queue suspended from one hub is suspended in every hub: one
// that learns it at its heartbeat, one restarted later, one that adopts
// the messages of a dead hub; resuming it from any hub releases them.
func TestHeldQueueAcrossPool(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	clock := queuetest.NewFakeClock(t0)
	deliveredA := make(chan queue.ID, 10)
	sA, qA := openHub(t, dsn, "hubA", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(answer(250, deliveredA)))
	defer qA.Close(ctx)
	deliveredB := make(chan queue.ID, 10)
	sB, qB := openHub(t, dsn, "hubB", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(answer(250, deliveredB)))

	if err := sA.HoldQueue(ctx, relayQueue, true); err != nil {
		t.Fatal(err)
	}
	if held, err := sB.Holds(ctx); err != nil || len(held) != 1 || held[0] != relayQueue { // hubB's heartbeat
		t.Fatalf("hubB reads the pool's suspended queues: %v, %v", held, err)
	}
	id := enqueue(t, qB, "bob@fabrikam.com")
	if qi := holding(t, qB, relayQueue, 1); qi.Status != queue.QueueSuspended {
		t.Fatalf("hubB's queue to the suspended next hop: %+v", qi)
	}

	// Restarted, hubB honours the suspension before delivering anything.
	crash(sB, qB)
	sB, qB = openHub(t, dsn, "hubB", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(answer(250, deliveredB)))
	if qi := holding(t, qB, relayQueue, 1); qi.Status != queue.QueueSuspended {
		t.Fatalf("restarted hubB's queue: %+v", qi)
	}

	// Dead, its message goes to hubA, still suspended.
	crash(sB, qB)
	expireLease(t, dsn, "hubB")
	if n, err := sA.TakeOver(ctx); err != nil || n != 1 {
		t.Fatalf("TakeOver = %d, %v; want 1", n, err)
	}
	if qi := holding(t, qA, relayQueue, 1); qi.Status != queue.QueueSuspended {
		t.Fatalf("hubA's queue after adopting: %+v", qi)
	}
	if len(deliveredA)+len(deliveredB) != 0 {
		t.Fatal("a message was delivered to a suspended next hop")
	}
	if err := sA.HoldQueue(ctx, relayQueue, false); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, deliveredA, "delivery after Resume"); got != id {
		t.Fatalf("hubA delivered %s, want %s", got, id)
	}
}

// Each hub publishes its queues; every hub reads all of them; a command
// sent to a hub reaches it, and one to a hub that is not running fails.
func TestPublishQueuesAndSendHub(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	open := func(hub string) *pgstore.Store {
		s, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: hub, NoNotify: true}) // the test runs the commands
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open("hubA"), open("hubB")
	defer a.Close()
	if err := a.PublishQueues(ctx, map[string][]byte{"Submission": []byte("a0"), "x": []byte("a1")}); err != nil {
		t.Fatal(err)
	}
	if err := b.PublishQueues(ctx, map[string][]byte{"Submission": []byte("b0")}); err != nil {
		t.Fatal(err)
	}
	if err := a.PublishQueues(ctx, map[string][]byte{"Submission": []byte("a2")}); err != nil { // replaces hubA's
		t.Fatal(err)
	}
	var got []string
	if err := b.PoolQueues(ctx, func(hub, id string, info []byte, _ time.Time) error {
		got = append(got, hub+"/"+id+"="+string(info))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := "[hubA/Submission=a2 hubB/Submission=b0]"; list(got) != want {
		t.Fatalf("PoolQueues = %s, want %s", list(got), want)
	}

	ran := make(chan string, 1)
	b.OnCommand(func(id storage.ID, cmd string) error { ran <- string(id) + "|" + cmd; return nil })
	if err := a.SendHub(ctx, "hubB", "retry-queue x"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.RunCommands(ctx); err != nil || n != 1 || <-ran != "|retry-queue x" {
		t.Fatalf("hubB ran %d commands, %v", n, err)
	}
	b.Close()
	if err := a.SendHub(ctx, "hubB", "retry-queue x"); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, pgstore.ErrHubDown) {
		t.Fatalf("SendHub to a stopped hub: %v", err)
	}
	if n, err := a.TakeOver(ctx); err != nil || n != 0 {
		t.Fatalf("TakeOver = %d, %v", n, err)
	}
	got = nil
	a.PoolQueues(ctx, func(hub, id string, _ []byte, _ time.Time) error { got = append(got, hub+"/"+id); return nil })
	if list(got) != "[hubA/Submission]" {
		t.Fatalf("queues after hubB's were taken over: %s", list(got))
	}
}

func list(s []string) string { return "[" + strings.Join(s, " ") + "]" }

// With notifications on, a command sent to a hub and a queue suspended
// or resumed elsewhere reach it at once, long before its heartbeat.
func TestNotificationsWakeHub(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	frozen := queuetest.NewFakeClock(t0) // no heartbeat ever comes
	open := func(hub string) *pgstore.Store {
		s, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: hub, Clock: frozen})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open("hubA"), open("hubB")
	ran := make(chan string, 10)
	b.OnCommand(func(id storage.ID, cmd string) error { ran <- cmd; return nil })
	held := make(chan []string, 10)
	b.WatchHolds(func(ids []string) { held <- ids })
	if got := wait(t, held, "the initial set"); len(got) != 0 {
		t.Fatalf("suspended queues of a new pool: %v", got)
	}
	if err := a.SendHub(ctx, "hubB", "retry-queue x"); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, ran, "the command at hubB"); got != "retry-queue x" {
		t.Fatalf("hubB ran %q", got)
	}
	if err := a.HoldQueue(ctx, relayQueue, true); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, held, "the suspension at hubB"); list(got) != "["+relayQueue+"]" {
		t.Fatalf("hubB's suspended queues: %v", got)
	}
	if err := a.HoldQueue(ctx, relayQueue, false); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, held, "the resumption at hubB"); len(got) != 0 {
		t.Fatalf("hubB's suspended queues after Resume: %v", got)
	}
}
