package smtptest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
)

// WaitLimit is how long the harness's Wait methods wait before they fail
// the test: a bound against hanging, never a way to order events.
const WaitLimit = 30 * time.Second

// ReceiveConnector builds a receive connector for tests: bound to a free
// port of 127.0.0.1 and without tarpit, so refusals come at once; opts
// are applied after those two and may change them.
func ReceiveConnector(t TB, name string, opts ...connector.ReceiveOption) *connector.ReceiveConnector {
	t.Helper()
	base := []connector.ReceiveOption{connector.WithBindingList("127.0.0.1:0"), connector.WithTarpitInterval(0)}
	rc, err := connector.NewReceive(name, append(base, opts...)...)
	if err != nil {
		t.Fatalf("smtptest: receive connector %q: %v", name, err)
	}
	return rc
}

// InternetConnector is ReceiveConnector "From Internet" with the Internet
// usage: anonymous mail for the accepted domains, no relay.
func InternetConnector(t TB, opts ...connector.ReceiveOption) *connector.ReceiveConnector {
	t.Helper()
	return ReceiveConnector(t, "From Internet", append([]connector.ReceiveOption{connector.WithUsage(connector.UsageInternet)}, opts...)...)
}

// CustomConnector is ReceiveConnector name with the Custom usage, for
// clients from 127.0.0.1 only; the test adds its permission groups.
func CustomConnector(t TB, name string, opts ...connector.ReceiveOption) *connector.ReceiveConnector {
	t.Helper()
	base := []connector.ReceiveOption{connector.WithUsage(connector.UsageCustom), connector.WithRemoteIPRangeList("127.0.0.1")}
	return ReceiveConnector(t, name, append(base, opts...)...)
}

// SmartHost is the send-connector option that delivers to s as the
// connector's smart host.
func SmartHost(s *Sink) connector.SendOption {
	return connector.WithSmartHostList("[" + strings.Replace(s.Addr(), ":", "]:", 1))
}

// SendConnector builds a send connector with the Internet usage (its
// defaults), then opts.
func SendConnector(t TB, name string, opts ...connector.SendOption) *connector.SendConnector {
	t.Helper()
	sc, err := connector.NewSend(name, append([]connector.SendOption{connector.WithUsage(connector.UsageInternet)}, opts...)...)
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
