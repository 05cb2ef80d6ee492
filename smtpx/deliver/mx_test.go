package deliver_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func newResolver(t *testing.T, dns *mxtest.DNS) *mx.Resolver {
	t.Helper()
	r, err := mx.New(mx.WithServers(dns.Addr()), mx.WithTimeout(2*time.Second), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mapDialer sends each "ip:port" to a loopback sink, as if every MX host
// were a different machine listening on port 25.
func mapDialer(routes map[string]string) deliver.DialFunc {
	var nd net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := routes[addr]; ok {
			addr = to
		}
		return nd.DialContext(ctx, network, addr)
	}
}

func TestMXPreferenceAndFailover(t *testing.T) {
	mx1 := smtptest.NewSink(t)
	mx1.Stop() // best preference is down
	mx2 := smtptest.NewSink(t, smtptest.Hostname("mx2.fabrikam.com"))
	mx3 := smtptest.NewSink(t)
	dns := mxtest.NewDNS(t,
		mxtest.MX("fabrikam.com", 30, "mx3.fabrikam.com"),
		mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"),
		mxtest.MX("fabrikam.com", 20, "mx2.fabrikam.com"),
		mxtest.A("mx1.fabrikam.com", "127.0.0.11"),
		mxtest.A("mx2.fabrikam.com", "127.0.0.12"),
		mxtest.A("mx3.fabrikam.com", "127.0.0.13"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithTrace(rec.Add),
		deliver.WithDialer(mapDialer(map[string]string{
			"127.0.0.11:25": mx1.Addr(), "127.0.0.12:25": mx2.Addr(), "127.0.0.13:25": mx3.Addr()})))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	if err != nil || len(res) != 1 || res[0].Code != 250 || res[0].RemoteMTA != "mx2.fabrikam.com" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if len(mx2.Messages()) != 1 || mx3.Connections() != 0 {
		t.Fatalf("mx2 messages %d, mx3 connections %d", len(mx2.Messages()), mx3.Connections())
	}
	dials := rec.Filter(kindIs(deliver.EventDial))
	if len(dials) != 2 || dials[0].Host != "mx1.fabrikam.com" || dials[1].Host != "mx2.fabrikam.com" {
		t.Fatalf("dials = %+v", dials)
	}
}

func TestMXImplicitAFallback(t *testing.T) {
	sink := smtptest.NewSink(t)
	dns := mxtest.NewDNS(t, mxtest.A("fabrikam.com", "127.0.0.1"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)),
		deliver.WithMXPort(port(t, sink.Addr())))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	if err != nil || res[0].Code != 250 || res[0].RemoteMTA != "fabrikam.com" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if len(sink.Messages()) != 1 {
		t.Fatal("no message at the implicit MX")
	}
}

func TestMXLookupFailures(t *testing.T) {
	dns := mxtest.NewDNS(t,
		mxtest.NullMX("nomail.fabrikam.com"),
		mxtest.ServFail("broken.fabrikam.com"),
		mxtest.MX("loop.fabrikam.com", 10, "hub1.contoso.com"),
		mxtest.A("hub1.contoso.com", "127.0.0.1"),
		mxtest.A("other.fabrikam.com", "127.0.0.1"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)))
	tests := []struct {
		domain    string
		code      int
		enhanced  string
		transient bool
	}{
		{"nomail.fabrikam.com", 556, "5.1.10", false},
		{"missing.fabrikam.com", 550, "5.1.2", false},
		{"loop.fabrikam.com", 554, "5.4.6", false},
		{"broken.fabrikam.com", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			h := newHarness(t, d, deliver.HopFor(sc, tt.domain))
			res, err := h.send(queue.Envelope{Recipients: rcpts("a@"+tt.domain, "b@"+tt.domain)}, testBody)
			if tt.transient {
				var he *deliver.HopError
				if !errors.As(err, &he) || res != nil || !he.Temporary() {
					t.Fatalf("res=%v err=%v", res, err)
				}
				return
			}
			if err != nil || len(res) != 2 {
				t.Fatalf("res=%v err=%v", res, err)
			}
			for _, r := range res {
				if r.Code != tt.code || r.Enhanced != tt.enhanced || !r.Permanent() {
					t.Errorf("result %+v, want %d %s", r, tt.code, tt.enhanced)
				}
			}
		})
	}
}

func TestExternalResolverChosenByConnector(t *testing.T) {
	sink := smtptest.NewSink(t)
	internal := mxtest.NewDNS(t) // knows nothing: NXDOMAIN
	external := mxtest.NewDNS(t, mxtest.MX("fabrikam.com", 10, "mx.fabrikam.com"), mxtest.A("mx.fabrikam.com", "127.0.0.1"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) {
		c.UseExternalDNSServersEnabled = true
	})
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, internal)),
		deliver.WithExternalResolver(newResolver(t, external)), deliver.WithMXPort(port(t, sink.Addr())))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if len(internal.Queries()) != 0 || len(external.Queries()) == 0 {
		t.Fatalf("internal queries %v, external %v", internal.Queries(), external.Queries())
	}
}
