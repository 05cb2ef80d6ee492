package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/smtpx/smtptest"
)

const (
	clients = 16
	// Kill delays are drawn uniformly from [minDelay, maxDelay): short ones
	// hit a relay still recovering its queue, long ones a relay in full flow.
	minDelay     = 50 * time.Millisecond
	maxDelay     = 1200 * time.Millisecond
	startTimeout = 15 * time.Second
	drainTimeout = 45 * time.Second
)

// TestCrashRelay is issue 10's crash test: 16 clients relay through the
// gateway while it is SIGKILLed and restarted; every acknowledged message
// must reach the sink.
func TestCrashRelay(t *testing.T) {
	needGateway(t)
	kills := 12
	if testing.Short() {
		kills = 3
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -crash.seed %d), %d kills, %d clients", seed, seed, kills, clients)
	rng := rand.New(rand.NewPCG(seed, 0x6875626564676521))

	began := time.Now()
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	queueDir := t.TempDir()
	gw := newRelay(t, queueDir, sink.Addr())
	g := newGate()
	startRelay(t, gw, g)

	// Clients stop taking new messages at stop; ctx bounds every wait so
	// a wedged relay fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	led := newLedger()
	var wg sync.WaitGroup
	for n := range clients {
		wg.Add(1)
		cl := &client{n: n, addr: gw.listen, gate: g, ledger: led}
		go func() { defer wg.Done(); cl.run(ctx, stop) }()
	}
	stopClients := func() {
		close(stop)
		g.up() // a client waiting for a relay that will not come back must see stop
		wg.Wait()
	}

	for k := 1; k <= kills; k++ {
		d := minDelay + time.Duration(rng.Int64N(int64(maxDelay-minDelay)))
		pause(ctx, d)
		if ctx.Err() != nil {
			stopClients()
			t.Fatalf("kill %d: %v", k, ctx.Err())
		}
		led.mu.Lock()
		acked := len(led.acked)
		led.mu.Unlock()
		g.down()
		if err := gw.kill(); err != nil {
			stopClients()
			t.Fatal(err)
		}
		t.Logf("kill %2d after %4d ms: %d acknowledged, %d at the sink so far", k, d.Milliseconds(), acked, len(sink.Messages()))
		startRelay(t, gw, g)
	}
	stopClients()
	if ctx.Err() != nil {
		t.Fatalf("clients: %v; messages without a 250:\n%s", ctx.Err(), led.stuck())
	}
	led.mu.Lock()
	acked, bodies := led.acked, led.bodies
	attempts, failures, refused := led.attempts, led.failures, led.refused
	led.mu.Unlock()

	// Messages whose body was being delivered at two successive kills are in the Poison queue,
	// suspended (PoisonThreshold 2, SPEC §6.3): held, not lost, but never
	// delivered without Resume-Message. Do what the administrator would:
	// stop the relay, resume them, start it again.
	stopRelay(t, gw)
	poisoned, err := resumePoison(queueDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range poisoned {
		_, ack := acked[p.messageID]
		t.Logf("poison: queue message %s = %s (acknowledged %v, crashes %d), resumed", p.queueID, p.messageID, ack, p.crashes)
	}
	startRelay(t, gw, g)

	// Drain: the relay, restarted for the last time, delivers what it holds.
	dctx, dcancel := context.WithTimeout(context.Background(), drainTimeout)
	defer dcancel()
	msgs, missing := drain(dctx, sink, acked)
	drained := time.Since(began)
	stopRelay(t, gw)
	left, err := queueState(queueDir)
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
	// Only deliveries in flight at a kill may repeat (at most perHop per
	// kill), and only attempts that got no 250 may reach the sink twice.
	if r.relayDups > kills*perHop {
		t.Errorf("relay duplicates %d exceed the %d deliveries that can be in flight at %d kills", r.relayDups, kills*perHop, kills)
	}
	if r.retryDups > failures {
		t.Errorf("client-retry duplicates %d exceed the %d attempts without a 250", r.retryDups, failures)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("LOST %d acknowledged messages: %s", len(missing), strings.Join(first(missing, 20), " "))
		t.Errorf("queue left in %s:\n%s", queueDir, left)
	} else if left != "" {
		t.Errorf("queue not empty after the drain:\n%s", left)
	}
	t.Logf("SUMMARY kills survived %d, messages acknowledged %d, delivered %d, lost %d, duplicates %d (relay %d, client retry %d), "+
		"poisoned %d (resumed, then delivered), kills to drained %s",
		kills, len(acked), len(acked)-len(missing), len(missing), r.relayDups+r.retryDups, r.relayDups, r.retryDups,
		len(poisoned), drained.Round(100*time.Millisecond))
}

// stopRelay stops the relay gracefully, failing the test if it does not
// exit cleanly.
func stopRelay(t *testing.T, gw *relay) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := gw.stop(ctx); err != nil {
		t.Errorf("relay shutdown: %v\n%s", err, gw.out.String())
	}
}

// startRelay (re)starts the relay and opens the gate to the clients.
func startRelay(t *testing.T, gw *relay, g *gate) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := gw.start(ctx); err != nil {
		g.up() // release the clients so the test can end
		t.Fatal(err)
	}
	g.up()
}

// drain waits until every acknowledged Message-ID is at the sink or ctx
// ends, and returns the sink's messages and the IDs still missing.
func drain(ctx context.Context, sink *smtptest.Sink, acked map[string]int) ([]smtptest.Message, []string) {
	for {
		msgs := sink.Messages()
		seen := make(map[string]bool, len(msgs))
		for _, m := range msgs {
			seen[m.Header.Get("Message-Id")] = true
		}
		var missing []string
		for id := range acked {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return msgs, nil
		}
		if _, err := sink.WaitMessages(ctx, len(msgs)+1); err != nil {
			return sink.Messages(), missing
		}
	}
}

type result struct {
	distinct, unacked    int
	relayDups, retryDups int
	problems             []string
}

// tally counts the sink's copies: per Message-ID and per attempt, and
// checks each body against what the client sent.
func tally(msgs []smtptest.Message, acked map[string]int, bodies map[string]string) result {
	var r result
	perID := map[string]map[int]int{}
	for _, m := range msgs {
		id := m.Header.Get("Message-Id")
		body, known := bodies[id]
		if !known {
			r.problems = append(r.problems, fmt.Sprintf("the sink got a message no client sent: %q", id))
			continue
		}
		attempt, err := strconv.Atoi(m.Header.Get(attemptHeader))
		if err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: bad %s header: %v", id, attemptHeader, err))
		}
		if !strings.HasSuffix(string(m.Body), "\r\n\r\n"+body) {
			r.problems = append(r.problems, fmt.Sprintf("%s attempt %d: body altered (%d bytes at the sink)", id, attempt, len(m.Body)))
		}
		if perID[id] == nil {
			perID[id] = map[int]int{}
		}
		perID[id][attempt]++
	}
	r.distinct = len(perID)
	for id, byAttempt := range perID {
		if _, ok := acked[id]; !ok {
			r.unacked++
		}
		r.retryDups += len(byAttempt) - 1
		for _, n := range byAttempt {
			r.relayDups += n - 1
		}
	}
	return r
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
