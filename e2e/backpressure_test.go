package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// gauge is an injected resource reading a test moves by hand.
type gauge struct {
	mu sync.Mutex
	r  smtpx.Resources
}

func (g *gauge) set(r smtpx.Resources) {
	g.mu.Lock()
	g.r = r
	g.mu.Unlock()
}

func (g *gauge) probe(context.Context) (smtpx.Resources, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.r, nil
}

// disk reads as a 10 000 MiB disk with used percent of it taken: with
// the default levels, High from 95 %, Medium from 93 %, Normal below 91 %.
func disk(used float64) smtpx.Resources {
	const size = 10000 << 20
	return smtpx.Resources{DiskSize: size, DiskFree: uint64(size * (100 - used) / 100)}
}

// Under disk pressure the transport refuses MAIL with 452 4.3.1 while it
// delivers what it had queued, and accepts again only once the disk is
// back below the Normal level.
func TestBackPressureDiskFull(t *testing.T) {
	down := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	down.Stop()
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	g := &gauge{r: disk(50)}
	levels := make(chan transport.Event, 8)
	trace := func(e transport.Event) {
		if e.Kind == smtpx.EventBackPressure {
			levels <- e
		}
	}
	l := newQlog()
	tr, _ := relayTransport(t, l, []func(*connector.SendConfig){smtptest.SmartHost(down)}, transport.WithClock(clock),
		transport.WithTrace(trace), transport.WithBackPressure(smtpx.BackPressure{Probe: g.probe}))
	a := addr(t, tr, "Relay")
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 1)

	level := func(used float64, want smtpx.Pressure) {
		t.Helper()
		g.set(disk(used))
		clock.Advance(2 * time.Second)
		select {
		case e := <-levels:
			if e.Pressure != want {
				t.Fatalf("%.0f%% used: level %s (%s), want %s", used, e.Pressure, e.Detail, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%.0f%% used: no change to %s", used, want)
		}
		if got := tr.Pressure(); got != want {
			t.Errorf("Pressure() = %s, want %s", got, want)
		}
	}
	refused := func() {
		t.Helper()
		r, _ := smtptest.Dial(t, a)
		smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"},
			smtptest.Step{"MAIL FROM:<app@contoso.com>", "452 4.3.1 Insufficient system resources"},
			smtptest.Step{"RCPT TO:<y@fabrikam.com>", "503"}, smtptest.Step{"QUIT", "221"})
	}

	level(99, smtpx.PressureHigh)
	refused()
	// The 2 s that level advanced were past the message's retry time, so
	// it was retried while the next hop was still down. Its next retry is
	// set from the clock when that attempt ends: wait for it, or the
	// minute below may pass first and leave the retry a minute ahead.
	l.wait(t, queue.EventDefer, 2)
	// What was queued is still delivered.
	down.Start()
	clock.Advance(time.Minute)
	if got := down.Wait(t, 1); got[0].To[0] != "x@fabrikam.com" {
		t.Fatalf("delivered %+v", got)
	}
	l.wait(t, queue.EventDeliver, 1)

	level(92, smtpx.PressureMedium) // below Medium, not yet below Normal
	refused()
	level(50, smtpx.PressureNormal)
	send(t, a, "z@fabrikam.com")
}
