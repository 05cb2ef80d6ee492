package deliver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// When no host of a hop takes a session, the queue must record the hop's
// own status (the most specific one, e.g. 4.7.10 for a missing STARTTLS)
// as the recipients' last result and the queue's last error, not a 4.4.0
// of its own wrapped around the error text with a second code inside.
func TestHopFailureKeepsOneStatus(t *testing.T) {
	tests := []struct {
		name     string
		sink     []smtptest.SinkOption
		conn     []func(*connector.SendConfig)
		enhanced string
	}{
		{"STARTTLS required, not offered", []smtptest.SinkOption{smtptest.NoSTARTTLS()},
			[]func(*connector.SendConfig){func(c *connector.SendConfig) { c.RequireTLS = true }}, "4.7.10"},
		{"greeting refused", []smtptest.SinkOption{smtptest.RefuseGreeting(421, "4.3.2 too busy")}, nil, "4.4.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtptest.NewSink(t, tt.sink...)
			sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", append([]func(*connector.SendConfig){smtptest.SmartHost(sink)}, tt.conn...)...)
			d := mustNew(t, deliver.WithSendConnectors(sc))
			defers := make(chan queue.Event, 4)
			hook := queue.WithEventHook(func(e queue.Event) {
				if e.Type == queue.EventDefer {
					defers <- e
				}
			})
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"), hook)
			_, err := h.send(queue.Envelope{}, testBody)
			var he *deliver.HopError
			if !errors.As(err, &he) || he.EnhancedCode() != tt.enhanced {
				t.Fatalf("err=%v, want a HopError with %s", err, tt.enhanced)
			}
			want := queue.Result{Code: 451, Enhanced: tt.enhanced, Text: he.Reply().Text}
			ev := <-defers
			if ev.Result == nil || *ev.Result != want {
				t.Fatalf("DEFER result %v\nwant %v", ev.Result, want)
			}
			mi, err := h.q.Message(ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := mi.Recipients[0].LastResult; got == nil || *got != want {
				t.Errorf("recipient's last result (what a DSN reports) %v\nwant %v", got, want)
			}
			if mi.LastError != want.String() {
				t.Errorf("message LastError %q\nwant %q", mi.LastError, want.String())
			}
			for _, qi := range h.q.Queues() {
				if qi.NextHopDomain == "fabrikam.com" && qi.LastError != want.String() {
					t.Errorf("Get-Queue LastError %q\nwant %q", qi.LastError, want.String())
				}
			}
			if strings.Count(want.String(), "451 ") != 1 {
				t.Errorf("more than one 451 status in %q", want.String())
			}
		})
	}
}
