package e2e

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// loopbackListen opens every binding on an ephemeral 127.0.0.1 port, so
// a test can give connectors distinct bindings ("127.0.0.1:1",
// "127.0.0.1:2", ...) that all listen on loopback.
func loopbackListen(string, string) (net.Listener, error) { return net.Listen("tcp4", loopback) }

// relayConnector is an anonymous Custom connector for loopback clients,
// allowed to relay when relay is set.
func relayConnector(t *testing.T, name, binding string, relay bool) *connector.ReceiveConnector {
	t.Helper()
	edits := []func(*connector.ReceiveConfig){func(c *connector.ReceiveConfig) {
		c.Bindings = []netip.AddrPort{netip.MustParseAddrPort(binding)}
		c.PermissionGroups = perms.AnonymousUsers
	}}
	if relay {
		edits = append(edits, smtptest.AnonymousRelay)
	}
	return smtptest.CustomConnector(t, name, edits...)
}

var fourthcoffee = routing.AcceptedDomain{Domain: "fourthcoffee.com", Type: routing.Authoritative}

// A transaction open during Reconfigure completes under the rules it
// began with; the next connection, on the same socket, gets the new ones.
func TestReconfigureMidTransaction(t *testing.T) {
	tr, rec := startTransport(t, transport.WithReceiveConnector(relayConnector(t, "Relay", loopback, false)))
	a := addr(t, tr, "Relay")
	old, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, old, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<app@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<x@fabrikam.com>", "550 5.7.1"})

	err := tr.Reconfigure(context.Background(), transport.Config{
		ReceiveConnectors: []*connector.ReceiveConnector{relayConnector(t, "Relay", loopback, true)},
		AcceptedDomains:   append([]routing.AcceptedDomain{fourthcoffee}, contoso...),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := addr(t, tr, "Relay"); got != a {
		t.Errorf("unchanged binding moved from %s to %s", a, got)
	}
	// Still the old rules: no relay, fourthcoffee.com not accepted.
	smtptest.Expect(t, old, smtptest.Step{"RCPT TO:<x@fabrikam.com>", "550 5.7.1"},
		smtptest.Step{"RCPT TO:<y@fourthcoffee.com>", "550 5.7.1"},
		smtptest.Step{"DATA:" + message("Subject: old rules"), "250 2.6.0"})

	next, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, next, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<app@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<y@fourthcoffee.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: new rules"), "250 2.6.0"})
	// x@fabrikam.com has no send connector: it waits in Unreachable.
	got := map[string]bool{}
	for range 2 {
		for _, r := range rec.Wait(t).Rcpts {
			got[r] = true
		}
	}
	for _, want := range []string{"bob@contoso.com", "y@fourthcoffee.com"} {
		if !got[want] {
			t.Errorf("%s not delivered; got %v", want, got)
		}
	}
}

// A binding the new configuration adds starts listening; one it drops
// stops, while a connection it had accepted is served to the end.
func TestReconfigureBindings(t *testing.T) {
	tr, _ := startTransport(t, transport.WithServerOptions(smtpx.WithListen(loopbackListen)),
		transport.WithReceiveConnector(relayConnector(t, "A", "127.0.0.1:1", false)))
	aAddr := addr(t, tr, "A")
	held, _ := smtptest.Dial(t, aAddr)

	err := tr.Reconfigure(context.Background(), transport.Config{
		ReceiveConnectors: []*connector.ReceiveConnector{relayConnector(t, "B", "127.0.0.1:2", false)},
		AcceptedDomains:   contoso,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Addr("A") != nil {
		t.Error("removed connector A still has an address")
	}
	if c, err := net.Dial("tcp4", aAddr); err == nil {
		c.Close()
		t.Errorf("removed binding %s still accepts", aAddr)
	}
	served(t, addr(t, tr, "B"))
	transact(t, held)
}

// A configuration that does not validate, or whose new binding cannot be
// opened, is refused whole: the old one keeps serving.
func TestReconfigureInvalid(t *testing.T) {
	taken := errListen("127.0.0.1:9")
	tr, _ := startTransport(t, transport.WithServerOptions(smtpx.WithListen(taken.listen)),
		transport.WithReceiveConnector(relayConnector(t, "Relay", "127.0.0.1:1", false)))
	a := addr(t, tr, "Relay")
	bad := []struct {
		name string
		cfg  transport.Config
		want string
	}{
		{"duplicate connectors", transport.Config{ReceiveConnectors: []*connector.ReceiveConnector{
			relayConnector(t, "Relay", "127.0.0.1:1", true), relayConnector(t, "Relay", "127.0.0.1:1", true)}}, "Relay"},
		{"bad accepted domain", transport.Config{
			ReceiveConnectors: []*connector.ReceiveConnector{relayConnector(t, "Relay", "127.0.0.1:1", true)},
			AcceptedDomains:   []routing.AcceptedDomain{{Domain: "not a domain!"}}}, "not a domain"},
		{"binding cannot be opened", transport.Config{ReceiveConnectors: []*connector.ReceiveConnector{
			relayConnector(t, "Relay", "127.0.0.1:1", true), relayConnector(t, "Other", "127.0.0.1:9", true)}}, "127.0.0.1:9"},
	}
	for _, b := range bad {
		err := tr.Reconfigure(context.Background(), b.cfg)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: Reconfigure = %v, want an error naming %q", b.name, err, b.want)
		}
	}
	if got := addr(t, tr, "Relay"); got != a {
		t.Errorf("binding moved from %s to %s", a, got)
	}
	if tr.Addr("Other") != nil {
		t.Error("connector of a refused configuration listens")
	}
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<app@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<x@fabrikam.com>", "550 5.7.1"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: still the old rules"), "250 2.6.0"})
}

// errListen refuses to listen on one address and opens every other one
// on an ephemeral loopback port.
type errListen string

func (e errListen) listen(network, address string) (net.Listener, error) {
	if address == string(e) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: errAddrInUse}
	}
	return loopbackListen(network, address)
}

var errAddrInUse = &net.AddrError{Err: "address already in use", Addr: "127.0.0.1:9"}

// A message waiting for a smart host that the new configuration replaces
// goes to the new one at its next attempt, from the same queue.
func TestReconfigureReroutesQueued(t *testing.T) {
	down := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	down.Stop()
	up := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	l := newQlog()
	tr, _ := relayTransport(t, l, []func(*connector.SendConfig){smtptest.SmartHost(down)})
	a := addr(t, tr, "Relay")
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 1)
	q := tr.Queue()

	sc := smtptest.SendConnector(t, "To Fabrikam via Up", connector.UsageInternet, "fabrikam.com", smtptest.SmartHost(up))
	err := tr.Reconfigure(context.Background(), transport.Config{ReceiveConnectors: tr.ReceiveConnectors(),
		SendConnectors: []*connector.SendConnector{sc}, AcceptedDomains: contoso})
	if err != nil {
		t.Fatal(err)
	}
	if got := up.Wait(t, 1); len(got) != 1 || got[0].To[0] != "x@fabrikam.com" {
		t.Fatalf("new smart host got %+v", got)
	}
	l.wait(t, queue.EventDeliver, 1)
	if tr.Queue() != q {
		t.Error("Reconfigure replaced the queue")
	}
	if n := l.count(queue.EventFail); n != 0 {
		t.Errorf("%d FAIL events:\n%s", n, l)
	}
}

// Shutdown while reconfigurations (each opening and closing a binding)
// run: every Reconfigure either completes or reports ErrServerClosed, and
// nothing is left running (goleak checks at exit).
func TestReconfigureDuringShutdown(t *testing.T) {
	tr, err := transport.New(transport.WithServerName(serverName), transport.WithMemoryQueue(), transport.WithServerOptions(smtpx.WithListen(loopbackListen)),
		transport.WithReceiveConnector(relayConnector(t, "A", "127.0.0.1:1", false)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	configs := []transport.Config{
		{ReceiveConnectors: []*connector.ReceiveConnector{relayConnector(t, "B", "127.0.0.1:2", false)}},
		{ReceiveConnectors: []*connector.ReceiveConnector{relayConnector(t, "A", "127.0.0.1:1", true)}},
	}
	done := make(chan error)
	started := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			err := tr.Reconfigure(ctx, configs[i%2])
			if i == 0 {
				close(started)
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	<-started
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, smtpx.ErrServerClosed) {
		t.Errorf("Reconfigure during Shutdown = %v", err)
	}
}

// A message parked Unreachable (no send connector for its domain) is
// delivered once a reconfiguration adds one.
func TestReconfigureResubmitsUnreachable(t *testing.T) {
	up := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	l := newQlog()
	tr, _ := relayTransport(t, l, []func(*connector.SendConfig){smtptest.SmartHost(up)})
	send(t, addr(t, tr, "Relay"), "x@adatum.com")
	l.wait(t, queue.EventUnreachable, 1)

	sc := smtptest.SendConnector(t, "To Adatum", connector.UsageInternet, "adatum.com", smtptest.SmartHost(up))
	err := tr.Reconfigure(context.Background(), transport.Config{ReceiveConnectors: tr.ReceiveConnectors(),
		SendConnectors: []*connector.SendConnector{sc}, AcceptedDomains: contoso})
	if err != nil {
		t.Fatal(err)
	}
	if got := up.Wait(t, 1); got[0].To[0] != "x@adatum.com" {
		t.Fatalf("delivered %+v", got)
	}
	l.wait(t, queue.EventDeliver, 1)
}
