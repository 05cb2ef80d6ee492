package smtptest

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
)

// WaitLimit is how long the harness's Wait methods wait before they fail
// the test: a bound against hanging, never a way to order events.
const WaitLimit = 30 * time.Second

// ReceiveConnector builds a receive connector for tests: the usage's
// defaults (connector.NewReceiveConfig), bound to a free port of 127.0.0.1
// and without tarpit, so refusals come at once; then edits, in order,
// which may change anything. A refusal fails the test.
func ReceiveConnector(t TB, name string, u connector.Usage, edits ...func(*connector.ReceiveConfig)) *connector.ReceiveConnector {
	t.Helper()
	cfg := connector.NewReceiveConfig(name, u)
	cfg.Bindings = []netip.AddrPort{netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 0)}
	cfg.TarpitInterval = 0
	for _, edit := range edits {
		edit(&cfg)
	}
	rc, err := cfg.Build()
	if err != nil {
		t.Fatalf("smtptest: receive connector %q: %v", name, err)
	}
	return rc
}

// InternetConnector is ReceiveConnector "From Internet" with the Internet
// usage: anonymous mail for the accepted domains, no relay.
func InternetConnector(t TB, edits ...func(*connector.ReceiveConfig)) *connector.ReceiveConnector {
	t.Helper()
	return ReceiveConnector(t, "From Internet", connector.UsageInternet, edits...)
}

// CustomConnector is ReceiveConnector name with the Custom usage, for
// clients from 127.0.0.1 only; the edits add its permission groups.
func CustomConnector(t TB, name string, edits ...func(*connector.ReceiveConfig)) *connector.ReceiveConnector {
	t.Helper()
	loopback := func(c *connector.ReceiveConfig) {
		c.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
	}
	return ReceiveConnector(t, name, connector.UsageCustom, append([]func(*connector.ReceiveConfig){loopback}, edits...)...)
}

// AnonymousRelay is the receive-connector edit that lets anonymous
// sessions relay: the AnonymousUsers group plus Accept-Any-Recipient for
// anonymous sessions. Build refuses it on a connector open to a whole
// address family (connector.ErrOpenRelay), so use it with CustomConnector.
func AnonymousRelay(c *connector.ReceiveConfig) {
	c.PermissionGroups |= perms.AnonymousUsers
	c.Permissions = append(c.Permissions, connector.Permission{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient})
}

// SmartHost is the send-connector edit that delivers to the sinks, tried
// in order, as the connector's smart hosts, DNS routing off.
func SmartHost(sinks ...*Sink) func(*connector.SendConfig) {
	hosts := make([]connector.SmartHost, len(sinks))
	for i, s := range sinks {
		ap := netip.MustParseAddrPort(s.Addr()) // a sink listens on an IP literal
		hosts[i] = connector.SmartHost{Host: ap.Addr().String(), Port: ap.Port(), IsIP: true}
	}
	return func(c *connector.SendConfig) {
		c.SmartHosts, c.DNSRoutingEnabled = hosts, false
	}
}

// SendConnector builds a send connector for tests: the usage's defaults
// (connector.NewSendConfig) with the address spaces of spaces, as the
// cmdlets write them ("*", "contoso.com;2,fabrikam.com"; "" for none),
// then edits, in order. A refusal fails the test.
func SendConnector(t TB, name string, u connector.Usage, spaces string, edits ...func(*connector.SendConfig)) *connector.SendConnector {
	t.Helper()
	cfg := connector.NewSendConfig(name, u)
	if spaces != "" {
		s, err := addrspace.ParseList(spaces)
		if err != nil {
			t.Fatalf("smtptest: send connector %q: %v", name, err)
		}
		cfg.AddressSpaces = s
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	sc, err := cfg.Build()
	if err != nil {
		t.Fatalf("smtptest: send connector %q: %v", name, err)
	}
	return sc
}

// ErrorTB is a TB that can also report a failure and go on.
type ErrorTB interface {
	TB
	Errorf(format string, args ...any)
}

// Expect runs each step on c and reports every mismatch with t.Errorf
// without stopping, so one test shows all wrong replies (Client.Expect
// stops at the first).
func Expect(t ErrorTB, c *Client, steps ...Step) {
	t.Helper()
	for _, s := range steps {
		if err := c.Expect(s); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// SendMail submits msg from from to every address in to on a new
// connection to addr with go-smtp's client (EHLO client.example, no
// TLS) and returns the server's reply to the end of data, e.g. "2.6.0
// <ID> Queued mail for delivery". Any refusal fails the test.
func SendMail(t TB, addr, from string, to []string, msg string) string {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("smtptest: dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatalf("smtptest: EHLO: %v", err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("smtptest: MAIL FROM:<%s>: %v", from, err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			t.Fatalf("smtptest: RCPT TO:<%s>: %v", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("smtptest: DATA: %v", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatalf("smtptest: write message: %v", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("smtptest: end of data: %v", err)
	}
	_ = c.Quit()
	return resp.StatusText
}

// Wait returns the messages the sink has received once there are at
// least n, failing the test after WaitLimit.
func (s *Sink) Wait(t TB, n int) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, n)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return msgs
}

// Events collects the events of a trace function (transport.WithTrace,
// deliver.WithTrace, queue.WithEventHook: pass Add) for a test to look
// at or wait for. It is safe for concurrent use; the zero value is ready.
type Events[E any] struct {
	mu      sync.Mutex
	all     []E
	changed chan struct{}
}

// Add records e.
func (l *Events[E]) Add(e E) {
	l.mu.Lock()
	l.all = append(l.all, e)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
}

// All returns the events recorded so far, in order.
func (l *Events[E]) All() []E {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]E(nil), l.all...)
}

// Filter returns the recorded events for which ok is true.
func (l *Events[E]) Filter(ok func(E) bool) []E {
	var out []E
	for _, e := range l.All() {
		if ok(e) {
			out = append(out, e)
		}
	}
	return out
}

// Wait returns the first recorded event for which ok is true, waiting for
// it to come; it fails the test after WaitLimit.
func (l *Events[E]) Wait(t TB, ok func(E) bool) E {
	t.Helper()
	timer := time.NewTimer(WaitLimit)
	defer timer.Stop()
	seen := 0
	for {
		l.mu.Lock()
		for _, e := range l.all[seen:] {
			if ok(e) {
				l.mu.Unlock()
				return e
			}
		}
		seen = len(l.all)
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("smtptest: the event waited for did not come in %v (%d events)", WaitLimit, seen)
			var zero E
			return zero
		}
	}
}
