package deliver_test

import (
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// A 421 to a later RCPT ends the transaction: the recipients the server
// accepted before it must get the 421 too, not a zero Result.
func TestRcpt421FailsEarlierAcceptedRecipients(t *testing.T) {
	sink := smtptest.NewSink(t)
	sink.Script("second@fabrikam.com", "421 4.3.2 shutting down")
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{Recipients: rcpts("first@fabrikam.com", "second@fabrikam.com", "third@fabrikam.com")}, testBody)
	if err != nil || len(res) != 3 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	for i, r := range res {
		if r.Code != 421 || r.Enhanced != "4.3.2" {
			t.Errorf("rcpt %d: %+v, want 421 4.3.2", i, r)
		}
	}
	// Whether a body follows the 421 is TestRcpt421MidTransaction's: this
	// sink (go-smtp) goes on after a scripted 421 where a real server hangs
	// up, and so takes the BDAT chunk that was pipelined behind the RCPTs.
}
