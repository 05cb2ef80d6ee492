package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/jackc/pgx/v5"
)

// poolHubs is the size of the pool; poolLease the hubs' lease: longer
// than PostgreSQL's restart, short enough that a hub that stayed dead
// would have its messages moved within the test.
const (
	poolHubs  = 3
	poolLease = 10 * time.Second
)

// TestCrashPool is issue 19's pool crash test: three poolhub processes
// share one queue in PostgreSQL; 16 clients relay through all three to one
// sink while the test SIGKILLs a random hub at random moments (restarting
// it on the same name and port) and, once, restarts PostgreSQL itself.
// Every acknowledged message must reach the sink, and no message may be
// delivered by two hub processes unless the first lost its lease (was
// killed, or let its lease lapse) between the two deliveries.
func TestCrashPool(t *testing.T) {
	needGateway(t)
	cluster := pgtest.Start(t)
	dsn := cluster.NewDB(t)
	kills := 10
	if testing.Short() {
		kills = 3
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0x6875626564676522))
	pgRestart := 1 + rng.IntN(kills) // after this kill
	t.Logf("seed %d (replay with -crash.seed %d), %d kills, PostgreSQL restarted after kill %d, %d clients over %d hubs",
		seed, seed, kills, pgRestart, clients, poolHubs)

	began := time.Now()
	fence := newFenceLog()
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS(), smtptest.OnData(fence.onData))
	hubs := make([]*relay, poolHubs)
	gates := make([]*gate, poolHubs)
	for i := range hubs {
		listen := freePort(t)
		hubs[i] = &relay{bin: poolhubBin, listen: listen, args: []string{"-hub", fmt.Sprintf("hub%d", i+1), "-dsn", dsn,
			"-listen", listen, "-smarthost", sink.Addr(), "-per-hop", fmt.Sprint(perHop), "-lease", poolLease.String()}}
		killAtEnd(t, hubs[i])
		gates[i] = newGate()
		startPoolHub(t, hubs[i], gates[i], fence)
	}

	// A bound against a hang, not a measure: on a loaded machine the ten
	// kills and restarts took 130 s once (2 minutes failed a good run).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	led := newLedger()
	var wg sync.WaitGroup
	for n := range clients {
		wg.Add(1)
		cl := &client{n: n, addr: hubs[n%poolHubs].listen, gate: gates[n%poolHubs], ledger: led}
		go func() { defer wg.Done(); cl.run(ctx, stop) }()
	}
	stopClients := func() {
		close(stop)
		for _, g := range gates {
			g.up()
		}
		wg.Wait()
	}

	for k := 1; k <= kills; k++ {
		d := minDelay + time.Duration(rng.Int64N(int64(maxDelay-minDelay)))
		pause(ctx, d)
		if ctx.Err() != nil {
			stopClients()
			t.Fatalf("kill %d: %v", k, ctx.Err())
		}
		i := rng.IntN(poolHubs)
		led.mu.Lock()
		acked := len(led.acked)
		led.mu.Unlock()
		gates[i].down()
		stopping := time.Now()
		if err := hubs[i].kill(); err != nil {
			stopClients()
			t.Fatal(err)
		}
		fence.ended(hubs[i].out.String(), stopping)
		t.Logf("kill %2d of hub%d after %4d ms: %d acknowledged, %d at the sink so far", k, i+1, d.Milliseconds(), acked, len(sink.Messages()))
		startPoolHub(t, hubs[i], gates[i], fence)
		if k == pgRestart {
			if err := cluster.Restart(); err != nil {
				stopClients()
				t.Fatal(err)
			}
			t.Logf("PostgreSQL restarted (fast shutdown) after kill %d", k)
		}
	}
	stopClients()
	if ctx.Err() != nil {
		logHubs(t, hubs)
		t.Fatalf("clients: %v; messages without a 250:\n%s", ctx.Err(), led.stuck())
	}
	led.mu.Lock()
	acked, bodies := led.acked, led.bodies
	attempts, failures, refused := led.attempts, led.failures, led.refused
	led.mu.Unlock()

	// Messages whose body was being delivered at two successive kills of
	// their hub are in Poison, suspended: do what the administrator would,
	// Resume-Message from anywhere in the pool.
	poisoned, err := resumePoolPoison(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("poison: %d messages resumed", poisoned)

	dctx, dcancel := context.WithTimeout(context.Background(), drainTimeout)
	defer dcancel()
	msgs, missing := drain(dctx, sink, acked)
	// Every acknowledged message has a copy at the sink, but the hubs may
	// still be finishing deliveries (a resumed poison message, a repeat
	// after a kill) whose records they delete when done: stopping them now
	// would leave those records behind.
	if len(missing) == 0 {
		if err := waitPoolEmpty(dctx, dsn); err != nil {
			t.Logf("waiting for the pool's queue to empty: %v", err)
		}
	}
	drained := time.Since(began)
	for _, h := range hubs {
		stopping := time.Now()
		stopRelay(t, h)
		fence.ended(h.out.String(), stopping)
	}
	left, stillPoisoned, err := poolState(dsn)
	if err != nil {
		t.Error(err)
	}

	r := tally(msgs, acked, bodies)
	t.Logf("client attempts %d, without a 250 %d (of which %d refused with a reply)", attempts, failures, refused)
	t.Logf("at the sink: %d copies of %d Message-IDs (%d not acknowledged to a client), "+
		"relay duplicates %d, client-retry duplicates %d", len(msgs), r.distinct, r.unacked, r.relayDups, r.retryDups)
	for _, s := range r.problems {
		t.Error(s)
	}
	fr := fence.check()
	t.Logf("fencing: %d hub processes, %d lease lapses, %d copies delivered by another process than the copy before",
		fr.processes, fr.lapses, fr.crossHub)
	for _, s := range first(fr.problems, 20) {
		t.Error("two hub processes delivered one message at once: " + s)
	}
	// Deliveries in flight at a kill may repeat, at most perHop per kill
	// (and as many for the database restart, whose outcome writes fail).
	if r.relayDups > (kills+1)*perHop {
		t.Errorf("relay duplicates %d exceed the %d deliveries that can be in flight at %d kills and a database restart", r.relayDups, (kills+1)*perHop, kills)
	}
	if r.retryDups > failures {
		t.Errorf("client-retry duplicates %d exceed the %d attempts without a 250", r.retryDups, failures)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("LOST %d acknowledged messages: %s", len(missing), strings.Join(first(missing, 20), " "))
		logHubs(t, hubs)
		t.Logf("left in the queue:\n%s", poolDump(dsn))
	}
	if left > 0 && len(missing) == 0 {
		t.Errorf("%d messages left in the pool's queue after the drain (%d poisoned):\n%s", left, stillPoisoned, poolDump(dsn))
	}
	t.Logf("SUMMARY pool of %d hubs, kills survived %d + 1 PostgreSQL restart, messages acknowledged %d, delivered %d, lost %d, "+
		"duplicates %d (relay %d, client retry %d; %d by another hub process than the copy before, %d by two hubs at once), left in the queue %d, poisoned %d (resumed, then delivered), kills to drained %s",
		poolHubs, kills, len(acked), len(acked)-len(missing), len(missing), r.relayDups+r.retryDups, r.relayDups, r.retryDups,
		fr.crossHub, len(fr.problems), left, poisoned, drained.Round(100*time.Millisecond))
}

// startPoolHub starts a poolhub as startRelay does and notes the
// process, by its hub and lease epoch, in fence.
func startPoolHub(t *testing.T, h *relay, g *gate, fence *fenceLog) {
	t.Helper()
	startRelay(t, h, g)
	if err := fence.started(h.out.String()); err != nil {
		t.Fatal(err)
	}
}

// waitPoolEmpty polls the pool's queue until it holds no message or ctx
// ends: the hubs are other processes, so there is no event to wait on.
func waitPoolEmpty(ctx context.Context, dsn string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		left, _, err := poolState(dsn)
		if err == nil && left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// poolState counts the messages left in the pool's queue, and of those
// the ones in Poison.
func poolState(dsn string) (left, poisoned int, err error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE convert_from(rec, 'UTF8')::jsonb ? 'poison')
		FROM hubedge_messages`).Scan(&left, &poisoned)
	return left, poisoned, err
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// poolDump describes what the pool's queue holds, for a failure report.
func poolDump(dsn string) string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT owner, count(*), min(convert_from(rec, 'UTF8')) FROM hubedge_messages GROUP BY owner`)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	var owner, rec string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&owner, &n, &rec}, func() error {
		fmt.Fprintf(&b, "%s: %d messages, e.g. %s\n", owner, n, tail(rec, 600))
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return b.String()
}

// resumePoolPoison resumes every message of the pool in Poison, whichever
// hub holds it, as an administrator would from a hub of the pool (here
// one that delivers nothing), and returns how many it resumed. Each owner
// runs the command at its next heartbeat.
func resumePoolPoison(dsn string) (int, error) {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: "admin"})
	if err != nil {
		return 0, err
	}
	q, err := queue.OpenStore(s)
	if err != nil {
		s.Close()
		return 0, err
	}
	defer q.Close(ctx)
	p := pgpool.Attach(q, s)
	msgs, err := p.Messages(ctx, queue.Filter{Status: queue.MessageSuspended})
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if err := p.ResumeMessage(ctx, m.ID); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

// logHubs reports the end of each hub's output, for a failure report.
func logHubs(t *testing.T, hubs []*relay) {
	for i, h := range hubs {
		t.Logf("hub%d's last output:\n%s", i+1, tail(h.out.String(), 4000))
	}
}
