package deliver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func TestPerRecipientResults(t *testing.T) {
	sink := smtptest.NewSink(t)
	sink.Script("busy@fabrikam.com", "450 4.2.0 mailbox busy")
	sink.Script("gone@fabrikam.com", "550 5.1.1 user unknown")
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{Recipients: rcpts("ok@fabrikam.com", "busy@fabrikam.com", "gone@fabrikam.com")}, testBody)
	if err != nil || len(res) != 3 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	want := []struct {
		code int
		enh  string
	}{{250, "2.0.0"}, {450, "4.2.0"}, {550, "5.1.1"}}
	for i, w := range want {
		if res[i].Code != w.code || res[i].Enhanced != w.enh || res[i].RemoteMTA != "127.0.0.1" {
			t.Errorf("rcpt %d: %+v, want %d %s", i, res[i], w.code, w.enh)
		}
	}
	if m := sink.Messages(); len(m) != 1 || len(m[0].To) != 1 || m[0].To[0] != "ok@fabrikam.com" {
		t.Fatalf("sink messages %+v", m)
	}
}

func TestAllRecipientsRejectedSendsNoBody(t *testing.T) {
	sink := smtptest.NewSink(t)
	sink.Script("a@fabrikam.com", "550 5.1.1 no")
	sink.Script("b@fabrikam.com", "451 4.3.0 later")
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "b@fabrikam.com")}, testBody)
	if err != nil || res[0].Code != 550 || res[1].Code != 451 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	// The sink offers PIPELINING, so DATA went out with the RCPTs (RFC
	// 2920) and was refused; the open transaction is then reset.
	tr := sink.Transcript()
	if len(sink.Messages()) != 0 || !strings.Contains(tr, "RSET") {
		t.Fatalf("messages %d, transcript:\n%s", len(sink.Messages()), tr)
	}
}

func TestDataReplyAppliesToAcceptedRecipients(t *testing.T) {
	sink := smtptest.NewSink(t)
	sink.ScriptData("554 5.6.0 content rejected")
	sink.Script("x@fabrikam.com", "550 5.1.1 no")
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "x@fabrikam.com", "b@fabrikam.com")}, testBody)
	if err != nil || res[0].Enhanced != "5.6.0" || res[1].Enhanced != "5.1.1" || res[2].Enhanced != "5.6.0" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
}

func TestRemoteSizeTooSmall(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.MaxSize(64))
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "b@fabrikam.com")}, testBody)
	if err != nil || len(res) != 2 || res[0].Code != 552 || res[0].Enhanced != "5.3.4" || !res[1].Permanent() {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if tr := sink.Transcript(); strings.Contains(tr, "DATA") || strings.Contains(tr, "MAIL FROM") {
		t.Fatalf("transaction started:\n%s", tr)
	}
}

func TestHeaderFirewallByUsage(t *testing.T) {
	tests := []struct {
		usage                     connector.Usage
		received, org, forestKept bool
	}{
		{connector.UsageInternet, true, false, false},
		{connector.UsageInternal, true, true, true},
		{connector.UsageCustom, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.usage.String(), func(t *testing.T) {
			sink := smtptest.NewSink(t)
			opts := []func(*connector.SendConfig){smtptest.SmartHost(sink)}
			if tt.usage == connector.UsageInternal {
				// Externally secured: the remote is trusted like our own servers.
				opts = append(opts, func(c *connector.SendConfig) { c.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative })
			}
			sc := smtptest.SendConnector(t, "Smart", tt.usage, "*", opts...)
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(rec.Add))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			m := sink.Messages()[0]
			got := [3]bool{m.Header.Has("Received"), m.Header.Has("X-MS-Exchange-Organization-SCL"), m.Header.Has("X-MS-Exchange-Forest-RulesExecuted")}
			if got != [3]bool{tt.received, tt.org, tt.forestKept} {
				t.Fatalf("kept Received/Org/Forest = %v", got)
			}
			if !strings.HasSuffix(string(m.Body), "\r\n\r\nbody line\r\n") || m.Header.Get("Subject") != "hello" {
				t.Fatalf("body changed: %q", m.Body)
			}
			stripped := rec.Filter(kindIs(deliver.EventHeadersStripped))
			if (len(stripped) == 1) == (tt.usage == connector.UsageInternal) {
				t.Fatalf("stripped events %+v", stripped)
			}
		})
	}
}

func TestConnectionReuse(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
		c.SmtpMaxMessagesPerConnection = 2
	})
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(rec.Add))
	hop := deliver.HopFor(sc, "fabrikam.com")
	h := newHarness(t, d, hop)
	for i := range 5 {
		if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
			t.Fatalf("message %d: res=%+v err=%v", i, res, err)
		}
	}
	if n := sink.Connections(); n != 3 { // 2 + 2 + 1 messages
		t.Fatalf("connections = %d, want 3", n)
	}
	if n := len(rec.Filter(kindIs(deliver.EventReuse))); n != 2 {
		t.Fatalf("reuse events = %d", n)
	}
	if d.IdleConns(hop) != 1 {
		t.Fatalf("idle = %d", d.IdleConns(hop))
	}
	if err := d.Close(); err != nil || d.IdleConns(hop) != 0 {
		t.Fatalf("close: %v, idle %d", err, d.IdleConns(hop))
	}
}

func TestReuseAfterServerDroppedIdleConnection(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	if _, err := h.send(queue.Envelope{}, testBody); err != nil {
		t.Fatal(err)
	}
	sink.Stop() // drops the idle connection
	sink.Start()
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if len(sink.Messages()) != 2 {
		t.Fatalf("messages %d", len(sink.Messages()))
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
		c.ConnectionInactivityTimeOut = time.Second
	})
	closed := make(chan deliver.Event, 4)
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(func(e deliver.Event) {
		if e.Kind == deliver.EventClose {
			closed <- e
		}
	}))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	if _, err := h.send(queue.Envelope{}, testBody); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-closed:
		if e.Messages != 1 {
			t.Fatalf("close event %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle connection not closed")
	}
}

func TestEnvelopeExtensions(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithRootCAs(sink.PKI().Pool()))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	env := queue.Envelope{Ret: dsn.RetHdrs, EnvID: "QQ314159", SMTPUTF8: true,
		Recipients: []queue.Recipient{{Address: "bob@fabrikam.com", Notify: dsn.NotifyFailure | dsn.NotifyDelay, ORCPT: "rfc822;bob@fabrikam.com"}}}
	if res, err := h.send(env, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	m := sink.Messages()[0]
	if !m.MailOptions.UTF8 || m.MailOptions.Size != int64(len(testBody)) || !m.TLS {
		t.Fatalf("mail options %+v tls %v", m.MailOptions, m.TLS)
	}
	if tr := sink.Transcript(); !strings.Contains(tr, "SIZE=") {
		t.Fatalf("transcript:\n%s", tr)
	}

	// REQUIRETLS: the sink has TLS with a trusted certificate but does not
	// offer the extension (RFC 8689: 5.7.30).
	res, err := h.send(queue.Envelope{RequireTLS: true}, testBody)
	if err != nil || res[0].Code != 550 || res[0].Enhanced != "5.7.30" {
		t.Fatalf("REQUIRETLS: res=%+v err=%v", res, err)
	}
}

func TestSMTPUTF8NeededNotOffered(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSMTPUTF8())
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{SMTPUTF8: true, Recipients: rcpts("jürgen@fabrikam.com")}, testBody)
	if err != nil || res[0].Code != 553 || res[0].Enhanced != "5.6.7" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	// All-ASCII envelope: delivered without the parameter.
	if res, err := h.send(queue.Envelope{SMTPUTF8: true}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("ascii: res=%+v err=%v", res, err)
	}
}

func TestRequireTLSWithoutValidatedTLS(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{RequireTLS: true}, testBody)
	if err != nil || res[0].Code != 550 || res[0].Enhanced != "5.7.10" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
}

func TestConnectorMaxMessageSize(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
		c.MaxMessageSize = 1
	}) // rounded up to 1 KB
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody+strings.Repeat("x", 2048))
	if err != nil || res[0].Enhanced != "5.3.4" || sink.Connections() != 0 {
		t.Fatalf("res=%+v err=%v connections=%d", res, err, sink.Connections())
	}
}

func TestUnknownConnectorAndKind(t *testing.T) {
	sink := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc))
	for _, hop := range []queue.NextHop{
		{Connector: "Nope", Kind: deliver.KindSmartHost},
		{Connector: "Smart", Kind: "Carrier pigeon"},
	} {
		h := newHarness(t, d, hop)
		res, err := h.send(queue.Envelope{}, testBody)
		if res != nil || !(errors.Is(err, deliver.ErrUnknownConnector) || errors.Is(err, deliver.ErrUnknownKind)) {
			t.Fatalf("%+v: res=%v err=%v", hop, res, err)
		}
	}
}

func TestGreetingTimeout(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.HangGreeting())
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTimeouts(deliver.Timeouts{Command: 200 * time.Millisecond}))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || he.Attempts[0].Enhanced != "4.4.2" {
		t.Fatalf("res=%v err=%v", res, err)
	}
}

func TestCancelledDeliveryReturnsPromptly(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.HangGreeting())
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", smtptest.SmartHost(sink))
	dialled := make(chan struct{}, 1)
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithTrace(func(e deliver.Event) {
		if e.Kind == deliver.EventDial {
			dialled <- struct{}{}
		}
	}))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.q.Enqueue(ctx, queue.Envelope{From: "alice@contoso.com", Recipients: rcpts("bob@fabrikam.com")}, strings.NewReader(testBody)); err != nil {
		t.Fatal(err)
	}
	select { // the delivery is dialling, then waits for the greeting
	case <-dialled:
	case <-ctx.Done():
		t.Fatal("no dial")
	}
	closeCtx, cancelClose := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelClose()
	start := time.Now()
	_ = h.q.Close(closeCtx) // cancels the delivery in flight
	o := <-h.out
	if !errors.Is(o.err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err=%v after %v", o.err, time.Since(start))
	}
}
