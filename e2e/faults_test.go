package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// qlog records queue events and lets tests wait for one.
type qlog struct {
	mu     sync.Mutex
	ev     []queue.Event
	signal chan struct{}
}

func newQlog() *qlog { return &qlog{signal: make(chan struct{}, 1)} }

func (l *qlog) hook(e queue.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

func (l *qlog) count(typ queue.EventType) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.ev {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// wait blocks until n events of typ were seen, failing after 15 s.
func (l *qlog) wait(t *testing.T, typ queue.EventType, n int) queue.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		l.mu.Lock()
		seen := 0
		for _, e := range l.ev {
			if e.Type == typ {
				if seen++; seen == n {
					l.mu.Unlock()
					return e
				}
			}
		}
		l.mu.Unlock()
		select {
		case <-l.signal:
		case <-deadline:
			t.Fatalf("no %d× %s event; saw:\n%s", n, typ, l)
			return queue.Event{}
		}
	}
}

func (l *qlog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.ev {
		b.WriteString(string(e.Type) + " " + e.Queue + " " + strings.Join(e.Recipients, ","))
		if e.Result != nil {
			b.WriteString(" " + e.Result.Text)
		}
		if e.Err != nil {
			b.WriteString(" err=" + e.Err.Error())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// fastRetry makes every retry interval short so faults clear in tests.
func fastRetry(l *qlog) transport.Option {
	retry := queue.DefaultRetryPolicy()
	retry.TransientFailureRetryInterval = 50 * time.Millisecond
	retry.OutboundConnectionFailureRetryInterval = 50 * time.Millisecond
	retry.MessageRetryInterval = 50 * time.Millisecond
	return transport.WithQueueOptions(queue.WithEventHook(l.hook), queue.WithRetryPolicy(retry))
}

// relayHub is a transport relaying anything its loopback clients send to
// fabrikam.com through the send connector built from sendOpts; local
// (contoso.com) mail, DSNs included, goes to the returned recorder.
func relayHub(t *testing.T, l *qlog, sendOpts []func(*connector.SendConfig), opts ...transport.Option) (string, *smtptest.Recorder) {
	t.Helper()
	tr, rec := relayTransport(t, l, sendOpts, opts...)
	return addr(t, tr, "Relay"), rec
}

// relayTransport is relayHub's transport itself.
func relayTransport(t *testing.T, l *qlog, sendOpts []func(*connector.SendConfig), opts ...transport.Option) (*transport.Transport, *smtptest.Recorder) {
	t.Helper()
	sc := smtptest.SendConnector(t, "To Fabrikam", connector.UsageInternet, "fabrikam.com", sendOpts...)
	rc := smtptest.CustomConnector(t, "Relay", smtptest.AnonymousRelay)
	rec := smtptest.NewRecorder()
	base := []transport.Option{transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
		transport.WithLocalDelivery(rec), transport.WithReceiveConnector(rc), transport.WithSendConnector(sc), fastRetry(l),
		transport.WithDeliverOptions(deliver.WithTimeouts(deliver.Timeouts{Connect: time.Second, Command: time.Second, Data: time.Second}))}
	return smtptest.NewTransport(t, append(base, opts...)...), rec
}

func send(t *testing.T, a string, rcpts ...string) {
	t.Helper()
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<app@contoso.com>", "250"})
	for _, rcpt := range rcpts {
		smtptest.Expect(t, r, smtptest.Step{"RCPT TO:<" + rcpt + ">", "250"})
	}
	smtptest.Expect(t, r, smtptest.Step{"DATA:" + message("Message-ID: <fault@contoso.com>", "Subject: fault"), "250 2.6.0 <"},
		smtptest.Step{"QUIT", "221"})
}

// A smart host that refuses connections leaves the message queued
// (deferred, never failed); once it is back the message is delivered once.
func TestSmartHostDownThenBack(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	l := newQlog()
	a, _ := relayHub(t, l, []func(*connector.SendConfig){smtptest.SmartHost(sink)})
	sink.Stop()
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 2) // retried while down
	sink.Start()
	if got := sink.Wait(t, 1); len(got) != 1 || got[0].To[0] != "x@fabrikam.com" {
		t.Fatalf("delivered %+v", got)
	}
	l.wait(t, queue.EventDeliver, 1)
	if n := l.count(queue.EventFail); n != 0 {
		t.Errorf("%d FAIL events:\n%s", n, l)
	}
}

// Transient faults are deferred and retried until they clear; nothing is
// failed, and the message reaches the sink exactly once.
func TestTransientDeliveryFaults(t *testing.T) {
	t.Run("4xx after DATA", func(t *testing.T) {
		sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
		sink.ScriptData("451 4.3.0 try later", "452 4.3.1 still busy")
		l := newQlog()
		a, _ := relayHub(t, l, []func(*connector.SendConfig){smtptest.SmartHost(sink)})
		send(t, a, "x@fabrikam.com")
		l.wait(t, queue.EventDeliver, 1)
		if d := l.count(queue.EventDefer); d < 2 {
			t.Errorf("%d DEFER events, want 2:\n%s", d, l)
		}
		if got := sink.Messages(); len(got) != 1 {
			t.Errorf("%d messages at the sink", len(got))
		}
	})
	t.Run("4xx per recipient", func(t *testing.T) {
		sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
		sink.Script("y@fabrikam.com", "450 4.2.0 mailbox busy")
		l := newQlog()
		a, _ := relayHub(t, l, []func(*connector.SendConfig){smtptest.SmartHost(sink)})
		send(t, a, "x@fabrikam.com", "y@fabrikam.com")
		sink.Wait(t, 2)
		l.wait(t, queue.EventDeliver, 2)
		if n := l.count(queue.EventFail); n != 0 {
			t.Errorf("%d FAIL events:\n%s", n, l)
		}
	})
	faults := []struct {
		name string
		sink []smtptest.SinkOption
		send []func(*connector.SendConfig)
		want string // in the DEFER event's error or result
	}{
		{"421 at greeting", []smtptest.SinkOption{smtptest.NoSTARTTLS(), smtptest.RefuseGreeting(421, "4.3.2 too busy")}, nil, "421"},
		{"hanging smart host", []smtptest.SinkOption{smtptest.NoSTARTTLS(), smtptest.HangGreeting()}, nil, ""},
		{"TLS handshake failing", []smtptest.SinkOption{smtptest.WithPKI(smtptest.NewPKI(t), "wrong.example")},
			[]func(*connector.SendConfig){func(c *connector.SendConfig) {
				c.RequireTLS = true
				c.TlsAuthLevel = auth.CertificateValidation
			}}, ""},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			sink := smtptest.NewSink(t, tc.sink...)
			l := newQlog()
			a, _ := relayHub(t, l, append([]func(*connector.SendConfig){smtptest.SmartHost(sink)}, tc.send...), transport.WithDeliverOptions(deliver.WithRootCAs(pki.Pool())))
			start := time.Now()
			send(t, a, "x@fabrikam.com")
			e := l.wait(t, queue.EventDefer, 2)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("two attempts took %v: timeouts did not fire", d)
			}
			if tc.want != "" && !strings.Contains(l.String(), tc.want) {
				t.Errorf("DEFER lacks %q: %+v\n%s", tc.want, e, l)
			}
			if n := l.count(queue.EventFail) + l.count(queue.EventDeliver); n != 0 {
				t.Errorf("fault ended the message:\n%s", l)
			}
			if got := sink.Messages(); len(got) != 0 {
				t.Errorf("sink got %d messages", len(got))
			}
		})
	}
}

// A 5xx for one recipient fails only that one, with a DSN to the sender;
// the other recipient is delivered.
func TestPermanentRecipientFailureSendsDSN(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	sink.Script("bad@fabrikam.com", "550 5.1.1 no such user")
	l := newQlog()
	a, rec := relayHub(t, l, []func(*connector.SendConfig){smtptest.SmartHost(sink)})
	send(t, a, "good@fabrikam.com", "bad@fabrikam.com")
	msgs := sink.Wait(t, 1)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "good@fabrikam.com" {
		t.Errorf("sink recipients %v", msgs[0].To)
	}
	dsn := rec.Wait(t).Body
	for _, want := range []string{"bad@fabrikam.com", "5.1.1", "Content-Type: multipart/report"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn)
		}
	}
	if strings.Contains(dsn, "Final-Recipient: rfc822; good@fabrikam.com") {
		t.Errorf("DSN reports the delivered recipient:\n%s", dsn)
	}
}

// DNS SERVFAIL for the recipient domain is transient: the message waits
// and is delivered once the domain resolves.
func TestDNSServFailIsTransient(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	d := mxtest.NewDNS(t, mxtest.ServFail("fabrikam.com"))
	res, err := mx.New(mx.WithServers(d.Addr()), mx.WithTimeout(500*time.Millisecond), mx.WithAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(sink.Addr(), ":")
	var p uint16
	for _, c := range port {
		p = p*10 + uint16(c-'0')
	}
	l := newQlog()
	a, _ := relayHub(t, l, []func(*connector.SendConfig){func(c *connector.SendConfig) { c.DNSRoutingEnabled = true }},
		transport.WithDeliverOptions(deliver.WithResolver(res)), transport.WithDeliverOptions(deliver.WithExternalResolver(res)), transport.WithDeliverOptions(deliver.WithMXPort(p)))
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 2)
	if n := l.count(queue.EventFail); n != 0 {
		t.Fatalf("SERVFAIL failed the message:\n%s", l)
	}
	d.Remove("fabrikam.com")
	d.Add(mxtest.MX("fabrikam.com", 10, "mx.fabrikam.com"), mxtest.A("mx.fabrikam.com", "127.0.0.1"))
	sink.Wait(t, 1)
	l.wait(t, queue.EventDeliver, 1)
}
