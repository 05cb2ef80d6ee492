package deliver_test

import (
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// A new connection to a next hop that issued a session ticket resumes that
// session (unless resumption is off); another connector to the same host
// never resumes a session the first one negotiated.
func TestTLSSessionResumption(t *testing.T) {
	tests := []struct {
		name        string
		opts        []deliver.Option
		wantResumed []bool // per connection: first, second via the same connector, third via another
	}{
		{"default cache", nil, []bool{false, true, false}},
		{"cache off", []deliver.Option{deliver.WithTLSSessionCache(0)}, []bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtptest.NewSink(t)
			a := smtptest.SendConnector(t, "A", connector.UsageCustom, "*", smtptest.SmartHost(sink))
			b := smtptest.SendConnector(t, "B", connector.UsageCustom, "*", smtptest.SmartHost(sink))
			rec := &smtptest.Events[deliver.Event]{}
			// No pooling, so that every message needs a new connection.
			opts := append([]deliver.Option{deliver.WithSendConnectors(a, b), deliver.WithTrace(rec.Add),
				deliver.WithMaxIdleConnsPerHop(0)}, tt.opts...)
			d := mustNew(t, opts...)
			for _, sc := range []*connector.SendConnector{a, a, b} {
				h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
				res, err := h.send(queue.Envelope{}, testBody)
				if err != nil || len(res) != 1 || res[0].Code != 250 {
					t.Fatalf("send via %s: %+v, %v", sc.Name(), res, err)
				}
			}
			evs := rec.Filter(kindIs(deliver.EventTLS))
			if len(evs) != len(tt.wantResumed) {
				t.Fatalf("%d TLS sessions, want %d", len(evs), len(tt.wantResumed))
			}
			for i, e := range evs {
				if e.TLSResumed != tt.wantResumed[i] {
					t.Errorf("connection %d: resumed %v, want %v", i+1, e.TLSResumed, tt.wantResumed[i])
				}
			}
			for _, m := range sink.Messages() {
				if !m.TLS {
					t.Errorf("message from %s delivered without TLS", m.From)
				}
			}
		})
	}
}
