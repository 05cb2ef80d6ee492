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

func TestSmartHostFailoverOrder(t *testing.T) {
	down := smtptest.NewSink(t)
	down.Stop() // refuses connections
	busy := smtptest.NewSink(t, smtptest.RefuseGreeting(421, "4.3.2 Service not available"))
	good := smtptest.NewSink(t, smtptest.Hostname("relay.contoso.com"))

	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(down, busy, good))
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(rec.Add))
	hop := deliver.HopFor(sc, "fabrikam.com")
	if hop.Kind != deliver.KindSmartHost || !strings.Contains(hop.Domain, ",") {
		t.Fatalf("hop = %+v", hop)
	}
	h := newHarness(t, d, hop)
	res, err := h.send(queue.Envelope{}, testBody)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Code != 250 || res[0].RemoteMTA != "127.0.0.1" {
		t.Fatalf("results = %+v", res)
	}
	if n := len(good.Messages()); n != 1 {
		t.Fatalf("good sink got %d messages", n)
	}
	if busy.Connections() != 1 || good.Connections() != 1 {
		t.Fatalf("connections busy=%d good=%d", busy.Connections(), good.Connections())
	}
	dials := rec.Filter(kindIs(deliver.EventDial))
	want := []string{down.Addr(), busy.Addr(), good.Addr()}
	if len(dials) != 3 {
		t.Fatalf("dials = %+v", dials)
	}
	for i, e := range dials {
		if e.Addr != want[i] {
			t.Errorf("dial %d = %s, want %s", i, e.Addr, want[i])
		}
	}
	if f := rec.Filter(kindIs(deliver.EventFailover)); len(f) != 2 {
		t.Fatalf("failovers = %d", len(f))
	}
}

func TestSmartHostAllFail(t *testing.T) {
	a := smtptest.NewSink(t, smtptest.RefuseGreeting(421, "4.3.2 Service not available"))
	b := smtptest.NewSink(t)
	b.Stop()
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(a, b))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) {
		t.Fatalf("res=%v err=%v", res, err)
	}
	if len(he.Attempts) != 2 || he.Code() != 451 || he.EnhancedCode() != "4.4.0" {
		t.Fatalf("hop error %+v: %v", he.Attempts, he)
	}
	if !errors.Is(err, deliver.ErrGreeting) || !strings.Contains(err.Error(), "Primary target IP address responded with") {
		t.Fatalf("err = %v", err)
	}
	if he.Attempts[0].Code != 421 {
		t.Fatalf("primary attempt = %+v", he.Attempts[0])
	}
}
