package pgstore_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/queue/storage"
	"github.com/jackc/pgx/v5"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// failAfter bounds every wait on an event: a failure deadline, not a
// synchronisation delay.
const failAfter = 30 * time.Second

var smartHost = queue.RouterFunc(func(context.Context, *queue.Envelope, queue.Recipient) (queue.NextHop, error) {
	return queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.fabrikam.com"}, nil
})

// answer is a Deliverer that reports each attempt on tried and answers
// every recipient with code.
func answer(code int, tried chan<- queue.ID) queue.DelivererFunc {
	return func(ctx context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		rc, err := msg.Open()
		if err != nil {
			return nil, err
		}
		rc.Close()
		tried <- msg.ID
		res := make([]queue.Result, len(rcpts))
		for i := range res {
			res[i] = queue.Result{Code: code, Enhanced: map[int]string{250: "2.0.0", 451: "4.4.0"}[code]}
		}
		return res, nil
	}
}

func openHub(t *testing.T, dsn, hub string, cfg pgstore.Config, opts ...queue.Option) (*pgstore.Store, *queue.Queue) {
	t.Helper()
	cfg.DSN, cfg.Hub = dsn, hub
	s, err := pgstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.OpenStore(s, append([]queue.Option{queue.WithRouter(smartHost), queue.WithInFlowDelay(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, q
}

// crash abandons hub s and its queue as a SIGKILL would: nothing more
// reaches the database, and the lease stays until it expires.
func crash(s *pgstore.Store, q *queue.Queue) {
	pgstore.Crash(s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Close(ctx)
}

func expireLease(t *testing.T, dsn, hub string) {
	t.Helper()
	sql(t, dsn, "UPDATE hubedge_hubs SET lease_until = now() - interval '1 second' WHERE name = $1", hub)
}

func sql(t *testing.T, dsn, stmt string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt, args...); err != nil {
		t.Fatal(err)
	}
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(failAfter):
		t.Fatalf("no %s within %v", what, failAfter)
		panic("unreachable")
	}
}

func enqueue(t *testing.T, q *queue.Queue, to string) queue.ID {
	t.Helper()
	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: to}}}
	id, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: pool\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A hub dies holding a deferred message, a suspended one and one in
// flight. Once its lease is gone another hub adopts all three with their
// state: the deferred one waits for its retry time, the suspended one
// for Resume-Message, and the one in flight counts a crash.
func TestDeadHubMessagesAdopted(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	clock := queuetest.NewFakeClock(t0)
	triedA := make(chan queue.ID, 10)
	blockA := make(chan struct{})
	var inflight queue.ID
	delivA := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if msg.Envelope.Recipients[0].Address == "hang@fabrikam.com" {
			if rc, err := msg.Open(); err == nil { // marks it in flight, durably
				rc.Close()
			}
			triedA <- msg.ID
			select {
			case <-blockA:
			case <-ctx.Done():
			}
			return nil, errors.New("killed")
		}
		return answer(451, triedA)(ctx, hop, msg, rcpts)
	})
	sA, qA := openHub(t, dsn, "hubA", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(delivA))
	deliveredB := make(chan queue.ID, 10)
	sB, qB := openHub(t, dsn, "hubB", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(answer(250, deliveredB)))
	defer qB.Close(context.Background())

	deferred := enqueue(t, qA, "bob@fabrikam.com")
	wait(t, triedA, "first attempt")
	suspended := enqueue(t, qA, "carol@fabrikam.com")
	wait(t, triedA, "first attempt")
	if err := qA.SuspendMessage(suspended); err != nil {
		t.Fatal(err)
	}
	inflight = enqueue(t, qA, "hang@fabrikam.com")
	wait(t, triedA, "attempt in flight")
	crash(sA, qA)
	close(blockA)

	if n, err := sB.TakeOver(context.Background()); err != nil || n != 0 {
		t.Fatalf("TakeOver while hubA's lease holds = %d, %v; want 0, nil", n, err)
	}
	expireLease(t, dsn, "hubA")
	if n, err := sB.TakeOver(context.Background()); err != nil || n != 3 {
		t.Fatalf("TakeOver after hubA's lease expired = %d, %v; want 3", n, err)
	}
	if got := wait(t, deliveredB, "delivery of the message that was in flight"); got != inflight {
		t.Fatalf("hubB delivered %s first, want the one in flight (%s)", got, inflight)
	}
	if m, err := qB.Message(suspended); err != nil || m.Status != queue.MessageSuspended {
		t.Fatalf("adopted suspended message: %+v, %v", m, err)
	}
	m, err := qB.Message(deferred)
	if err != nil || m.RetryCount != 1 || !m.NextRetryTime.After(t0) {
		t.Fatalf("adopted deferred message lost its retry state: %+v, %v", m, err)
	}
	clock.Set(m.NextRetryTime)
	if got := wait(t, deliveredB, "retry of the deferred message"); got != deferred {
		t.Fatalf("hubB delivered %s, want %s", got, deferred)
	}
	if err := qB.ResumeMessage(suspended); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, deliveredB, "delivery of the resumed message"); got != suspended {
		t.Fatalf("hubB delivered %s, want %s", got, suspended)
	}
}

// Without help from the test, a dead hub's lease runs out and the
// survivor's heartbeat adopts and delivers its messages.
func TestLeaseExpiresByItself(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	lease := 600 * time.Millisecond
	hang := make(chan queue.ID, 1)
	sA, qA := openHub(t, dsn, "hubA", pgstore.Config{Lease: lease}, queue.WithDeliverer(queue.DelivererFunc(
		func(ctx context.Context, _ queue.NextHop, msg *queue.Message, _ []queue.Recipient) ([]queue.Result, error) {
			hang <- msg.ID
			<-ctx.Done()
			return nil, ctx.Err()
		})))
	delivered := make(chan queue.ID, 1)
	_, qB := openHub(t, dsn, "hubB", pgstore.Config{Lease: lease}, queue.WithDeliverer(answer(250, delivered)))
	defer qB.Close(context.Background())
	id := enqueue(t, qA, "bob@fabrikam.com")
	wait(t, hang, "hubA's attempt")
	crash(sA, qA)
	if got := wait(t, delivered, "delivery by hubB"); got != id {
		t.Fatalf("hubB delivered %s, want %s", got, id)
	}
}

// A hub whose lease has run out, or that another process registered
// under its name, writes nothing.
func TestWritesFencedWithoutLease(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	open := func(hub string) *pgstore.Store {
		s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: dsn, Hub: hub})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	put := func(s *pgstore.Store, id string) error {
		return s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: storage.ID(id), Data: []byte("rec")}})
	}
	a := open("hubA")
	defer a.Close()
	if err := put(a, "M1"); err != nil {
		t.Fatal(err)
	}
	b := open("hubB")
	defer b.Close()
	if err := put(b, "M1"); !errors.Is(err, storage.ErrNotOwned) {
		t.Fatalf("hubB overwriting hubA's message: %v, want ErrNotOwned", err)
	}
	a2 := open("hubA") // a second process under the same name fences the first
	defer a2.Close()
	if err := put(a, "M2"); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Fatalf("write by the fenced-off process: %v, want ErrLeaseLost", err)
	}
	if err := put(a2, "M1"); err != nil {
		t.Fatalf("write by hubA's new process: %v", err)
	}
	expireLease(t, dsn, "hubA")
	if err := put(a2, "M3"); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Fatalf("write after the lease expired: %v, want ErrLeaseLost", err)
	}
}

// A hub whose lease lapsed (the database was out of reach too long)
// refuses mail until it registers again, then goes on with what is still
// its own and drops from its queue what another hub adopted meanwhile.
func TestLeaseLapsedRegistersAgain(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	clock := queuetest.NewFakeClock(t0)
	triedA := make(chan queue.ID, 10)
	dropped := make(chan string, 10)
	logA := slog.New(notifyHandler{match: "taken over", msgs: dropped})
	// hubA's heartbeats run on a clock of their own that nothing advances:
	// the test renews hubA's lease itself, after checking that a lapsed
	// lease refuses mail (a heartbeat fired by moving the shared clock
	// would re-register it first).
	sA, qA := openHub(t, dsn, "hubA", pgstore.Config{Clock: queuetest.NewFakeClock(t0)}, queue.WithClock(clock),
		queue.WithDeliverer(answer(451, triedA)), queue.WithLogger(logA))
	defer qA.Close(context.Background())
	deliveredB := make(chan queue.ID, 10)
	sB, qB := openHub(t, dsn, "hubB", pgstore.Config{Clock: clock}, queue.WithClock(clock), queue.WithDeliverer(answer(250, deliveredB)))
	defer qB.Close(context.Background())

	adopted := enqueue(t, qA, "bob@fabrikam.com")
	wait(t, triedA, "hubA's attempt")
	expireLease(t, dsn, "hubA")
	if n, err := sB.TakeOver(context.Background()); err != nil || n != 1 {
		t.Fatalf("TakeOver = %d, %v; want 1", n, err)
	}
	// Adopted in flight (retried at once) or deferred, as hubA's last
	// commit left it.
	if m, err := qB.Message(adopted); err == nil && !m.NextRetryTime.IsZero() {
		clock.Set(m.NextRetryTime)
	}
	if got := wait(t, deliveredB, "hubB's delivery"); got != adopted {
		t.Fatalf("hubB delivered %s, want %s", got, adopted)
	}
	_, err := tryEnqueue(qA)
	wantLocalError(t, err, "while the lease has lapsed")
	_, epoch := sA.Hub()
	if err := sA.Renew(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, again := sA.Hub(); again != epoch+1 {
		t.Fatalf("epoch after registering again = %d, want %d", again, epoch+1)
	}
	own := enqueue(t, qA, "carol@fabrikam.com")
	wait(t, triedA, "hubA's attempt of its new message")
	clock.Advance(time.Minute) // hubA retries the message hubB took
	wait(t, dropped, "hubA dropping the message hubB adopted")
	if _, err := qA.Message(adopted); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("hubA still holds the message hubB adopted: %v", err)
	}
	if _, err := qA.Message(own); err != nil {
		t.Fatalf("hubA's own message: %v", err)
	}
}

// notifyHandler passes on every warning or error logged whose message
// contains match.
type notifyHandler struct {
	match string
	msgs  chan<- string
}

func (h notifyHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h notifyHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.match) {
		h.msgs <- r.Message
	}
	return nil
}
func (h notifyHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h notifyHandler) WithGroup(string) slog.Handler      { return h }
