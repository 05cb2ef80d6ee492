package deliver_test

import (
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// BenchmarkDeliverSmartHost measures one message end to end (memory queue,
// Deliver, STARTTLS session to a loopback sink) with and without
// connection reuse.
func BenchmarkDeliverSmartHost(b *testing.B) {
	for _, tc := range []struct {
		name    string
		perConn int
	}{{"reuse", 1000}, {"new-conn", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			sink := smtptest.NewSink(b)
			sc := smtptest.SendConnector(b, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
				c.SmtpMaxMessagesPerConnection = tc.perConn
			})
			d := mustNew(b, deliver.WithSendConnectors(sc))
			h := newHarness(b, d, deliver.HopFor(sc, "fabrikam.com"))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
					b.Fatalf("res=%+v err=%v", res, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(sink.Connections()), "conns")
		})
	}
}
