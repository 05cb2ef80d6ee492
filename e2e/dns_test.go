package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// A DNS server that never answers for the recipient domain is a transient
// fault: the attempt times out (the resolver's short timeout fires), the
// message is deferred, never failed or bounced, and it is delivered once
// the records answer.
func TestDNSTimeoutIsTransient(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	d := mxtest.NewDNS(t, mxtest.Timeout("fabrikam.com"))
	res, err := mx.New(mx.WithServers(d.Addr()), mx.WithTimeout(200*time.Millisecond), mx.WithAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(sink.Addr(), ":")
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	l := newQlog()
	a, rec := relayHub(t, l, []func(*connector.SendConfig){func(c *connector.SendConfig) { c.DNSRoutingEnabled = true }},
		transport.WithDeliverOptions(deliver.WithResolver(res)), transport.WithDeliverOptions(deliver.WithExternalResolver(res)), transport.WithDeliverOptions(deliver.WithMXPort(uint16(p))))
	start := time.Now()
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 2) // two attempts, each timed out
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("two timed-out attempts took %v: the resolver timeout did not fire", el)
	}
	if n := l.count(queue.EventFail) + l.count(queue.EventDSN); n != 0 {
		t.Fatalf("a DNS timeout failed or bounced the message:\n%s", l)
	}
	if len(d.Queries()) == 0 {
		t.Error("the DNS server saw no query")
	}
	d.Remove("fabrikam.com")
	d.Add(mxtest.MX("fabrikam.com", 10, "mx.fabrikam.com"), mxtest.A("mx.fabrikam.com", "127.0.0.1"))
	if got := sink.Wait(t, 1); len(got) != 1 || got[0].To[0] != "x@fabrikam.com" {
		t.Fatalf("delivered %+v", got)
	}
	l.wait(t, queue.EventDeliver, 1)
	if rec.Pending() != 0 {
		t.Errorf("a notification reached the sender:\n%s", rec.Wait(t).Body)
	}
}
