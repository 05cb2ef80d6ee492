//go:build interop

package interop_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/postfixtest"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestPostfixDANE delivers through a DNS-routed send connector to a real
// Postfix whose MX and TLSA records (DANE-EE 3 1 1 of its certificate) sit
// in a DNSSEC-signed zone behind a real unbound. In a second domain the
// same Postfix is the MX but the published TLSA record is of another key:
// the message is deferred with DANE's reason, and Postfix never sees a
// MAIL command, in TLS or in plaintext.
//
// The Deliverer runs under a memory queue without the transport, so the
// test exercises exactly the outbound policy code against Postfix.
func TestPostfixDANE(t *testing.T) {
	const (
		good, bad     = "dane.example", "mismatch.example"
		goodMX, badMX = "mx." + good, "mx." + bad
	)
	pki := smtptest.NewPKI(t)
	cert := pki.Certificate(goodMX, badMX)
	stranger := smtptest.NewPKI(t).Certificate(badMX).Leaf
	pf := postfixtest.Start(t, postfixtest.WithHostname(goodMX), postfixtest.WithTLS(cert),
		postfixtest.WithMailboxDomains(good, bad))

	srv := mxtest.NewDNS(t)
	var zones []mxtest.UnboundZone
	for _, z := range []*mxtest.SignedZone{
		mxtest.NewSignedZone(t, good, mxtest.MX(good, 10, goodMX), mxtest.A(goodMX, "127.0.0.1"),
			mxtest.TLSA("_25._tcp."+goodMX, 3, 1, 1, cert.Leaf)),
		mxtest.NewSignedZone(t, bad, mxtest.MX(bad, 10, badMX), mxtest.A(badMX, "127.0.0.1"),
			mxtest.TLSA("_25._tcp."+badMX, 3, 1, 1, stranger)),
	} {
		srv.Add(z.Records(t)...)
		zones = append(zones, mxtest.UnboundZone{Name: z.Apex(), TrustAnchor: z.TrustAnchor()})
	}
	u, err := mxtest.StartUnbound(t, srv, zones...)
	if errors.Is(err, mxtest.ErrUnboundMissing) {
		t.Skip("interop: unbound is not installed (apt-get install unbound)")
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false), mx.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) { c.DNSRoutingEnabled = true })
	evs := make(chan deliver.Event, 256)
	d, err := deliver.New(deliver.WithServerName(hubName), deliver.WithSendConnectors(sc), deliver.WithResolver(r),
		deliver.WithMXPort(uint16(pf.Port())), deliver.WithMTASTS(false), deliver.WithTrace(func(e deliver.Event) { evs <- e }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	q := outboundQueue(t, sc, d)
	ctx := testContext(t)

	t.Run("match", func(t *testing.T) {
		enqueue(ctx, t, q, "bob@"+good)
		msgs, err := pf.WaitMessages(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rcv := collapse(msgs[0].Header.Get("Received")); !strings.Contains(rcv, "with ESMTPS id") {
			t.Errorf("delivered without TLS? Received: %s", rcv)
		}
		pol := waitEvent(ctx, t, evs, func(e deliver.Event) bool { return e.Kind == deliver.EventPolicy })
		if pol.Policy != deliver.PolicyDANE || pol.Host != goodMX {
			t.Errorf("policy event %+v, want DANE for %s", pol, goodMX)
		}
		if _, err := pf.WaitLog(ctx, regexp.MustCompile(`TLS connection established from unknown\[127\.0\.0\.1\]`)); err != nil {
			t.Error(err)
		}
	})

	t.Run("mismatch", func(t *testing.T) {
		enqueue(ctx, t, q, "carol@"+bad)
		fail := waitEvent(ctx, t, evs, func(e deliver.Event) bool {
			return e.Kind == deliver.EventFailover && e.Host == badMX
		})
		want := "DANE: no TLSA record matched the certificate of " + badMX
		if !errors.Is(fail.Err, deliver.ErrTLSPolicy) || !strings.Contains(fail.Err.Error(), want) {
			t.Errorf("failover %v, want %q", fail.Err, want)
		}
		var ae *deliver.AttemptError
		if !errors.As(fail.Err, &ae) || ae.Code != 451 || ae.Enhanced != "4.7.5" {
			t.Errorf("attempt %+v, want 451 4.7.5", ae)
		}
		// Our side of the handshake refused Postfix's certificate; Postfix
		// logs the aborted TLS session and nothing after STARTTLS.
		if _, err := pf.WaitLog(ctx, regexp.MustCompile(`SSL_accept error from unknown\[127\.0\.0\.1\]`)); err != nil {
			t.Error(err)
		}
		for _, c := range pf.Commands() {
			if strings.Contains(strings.ToLower(c), "@"+bad) {
				t.Errorf("Postfix received %q for the mismatching domain", c)
			}
		}
		if msgs, err := pf.Messages(); err != nil || len(msgs) != 1 {
			t.Errorf("Postfix holds %d messages (%v), want only the DANE-matched one", len(msgs), err)
		}
	})
}

// outboundQueue is a memory queue that routes every recipient through sc
// and delivers with d; DSNs are discarded, retries wait an hour.
func outboundQueue(t *testing.T, sc *connector.SendConnector, d *deliver.Deliverer) *queue.Queue {
	t.Helper()
	router := queue.RouterFunc(func(_ context.Context, env *queue.Envelope, rcpt queue.Recipient) (queue.NextHop, error) {
		if env.From == "" {
			return queue.NextHop{Kind: "discard", Domain: "dsn"}, nil
		}
		_, domain, _ := strings.Cut(rcpt.Address, "@")
		return deliver.HopFor(sc, domain), nil
	})
	dlv := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, m *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if hop.Kind == "discard" {
			res := make([]queue.Result, len(rcpts))
			for i := range res {
				res[i].Code = 250
			}
			return res, nil
		}
		return d.Deliver(ctx, hop, m, rcpts)
	})
	retry := queue.DefaultRetryPolicy()
	retry.MessageRetryInterval, retry.TransientFailureRetryInterval, retry.OutboundConnectionFailureRetryInterval = time.Hour, time.Hour, time.Hour
	q, err := queue.OpenMemory(queue.WithRouter(router), queue.WithDeliverer(dlv), queue.WithReportingMTA(hubName),
		queue.WithRetryPolicy(retry))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Close(ctx)
	})
	return q
}

func enqueue(ctx context.Context, t *testing.T, q *queue.Queue, rcpt string) {
	t.Helper()
	body := "From: app@contoso.example\r\nTo: " + rcpt + "\r\nSubject: DANE interop\r\n\r\nbody\r\n"
	env := queue.Envelope{From: "app@contoso.example", Recipients: []queue.Recipient{{Address: rcpt}}}
	if _, err := q.Enqueue(ctx, env, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
}

// waitEvent reads trace events until one satisfies ok.
func waitEvent(ctx context.Context, t *testing.T, evs <-chan deliver.Event, ok func(deliver.Event) bool) deliver.Event {
	t.Helper()
	for {
		select {
		case e := <-evs:
			if ok(e) {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no such delivery event: %v", ctx.Err())
		}
	}
}

// TestPostfixDANESmartHost: Postfix as a SASL smart host given by name,
// whose TLSA record for the port dialled is in the signed zone, as
// Postfix's own "dane" level treats a relayhost. Under
// BasicAuthRequireTLS, DANE stands for the certificate check (no CA we
// trust issued Postfix's certificate): hubedge authenticates and relays.
// A name whose TLSA record does not match is deferred before any AUTH.
func TestPostfixDANESmartHost(t *testing.T) {
	const good, bad = "smtp.relay.example", "bad.relay.example"
	pki := smtptest.NewPKI(t)
	cert := pki.Certificate(good, bad)
	stranger := smtptest.NewPKI(t).Certificate(bad).Leaf
	sink := smtptest.NewSink(t, smtptest.Hostname("next.contoso.example"))
	pf := postfixtest.Start(t, postfixtest.WithHostname(good), postfixtest.WithTLS(cert),
		postfixtest.WithSASLUser(relayUser, relayPass), postfixtest.WithRelayHost(sink.Addr()))
	tlsaAt := func(host string) string { return "_" + strconv.Itoa(pf.Port()) + "._tcp." + host }
	z := mxtest.NewSignedZone(t, "relay.example", mxtest.A(good, "127.0.0.1"), mxtest.A(bad, "127.0.0.1"),
		mxtest.TLSA(tlsaAt(good), 3, 1, 1, cert.Leaf), mxtest.TLSA(tlsaAt(bad), 3, 1, 1, stranger))
	srv := mxtest.NewDNS(t, z.Records(t)...)
	u, err := mxtest.StartUnbound(t, srv, mxtest.UnboundZone{Name: z.Apex(), TrustAnchor: z.TrustAnchor()})
	if errors.Is(err, mxtest.ErrUnboundMissing) {
		t.Skip("interop: unbound is not installed (apt-get install unbound)")
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false), mx.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	deliverVia := func(host string) <-chan deliver.Event {
		sc := smtptest.SendConnector(t, "To Smart Host "+host, connector.UsageInternet, "*", func(c *connector.SendConfig) {
			c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host + ":" + strconv.Itoa(pf.Port()))}
			c.DNSRoutingEnabled = false
			c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
			c.AuthenticationCredential = connector.Credential{UserName: relayUser, Password: relayPass}
		})
		evs := make(chan deliver.Event, 256)
		d, err := deliver.New(deliver.WithServerName(hubName), deliver.WithSendConnectors(sc), deliver.WithResolver(r),
			deliver.WithTrace(func(e deliver.Event) { evs <- e }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Close() })
		enqueue(ctx, t, outboundQueue(t, sc, d), "dave@fabrikam.example")
		return evs
	}

	evs := deliverVia(bad)
	fail := waitEvent(ctx, t, evs, func(e deliver.Event) bool { return e.Kind == deliver.EventFailover })
	if want := "DANE: no TLSA record matched the certificate of " + bad; !errors.Is(fail.Err, deliver.ErrTLSPolicy) ||
		!strings.Contains(fail.Err.Error(), want) {
		t.Errorf("failover %v, want %q", fail.Err, want)
	}
	if _, err := pf.WaitLog(ctx, regexp.MustCompile(`SSL_accept error from unknown\[127\.0\.0\.1\]`)); err != nil {
		t.Error(err)
	}
	for _, c := range pf.Commands() {
		if verb, _, _ := strings.Cut(c, " "); strings.EqualFold(verb, "AUTH") || strings.EqualFold(verb, "MAIL") {
			t.Errorf("Postfix received %q from a smart host session DANE refused", c)
		}
	}

	evs = deliverVia(good)
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rcv := collapse(msgs[0].Header.Get("Received")); !strings.Contains(rcv, "by "+good+" (Postfix) with ESMTPSA id ") {
		t.Errorf("Postfix's Received: %s", rcv)
	}
	if _, err := pf.WaitLog(ctx, regexp.MustCompile(`sasl_method=PLAIN, sasl_username=`+relayUser)); err != nil {
		t.Error(err)
	}
	pol := waitEvent(ctx, t, evs, func(e deliver.Event) bool { return e.Kind == deliver.EventPolicy })
	tlsEv := waitEvent(ctx, t, evs, func(e deliver.Event) bool { return e.Kind == deliver.EventTLS })
	if pol.Policy != deliver.PolicyDANE || tlsEv.VerifiedName != good {
		t.Errorf("policy %q, TLS verified for %q; want DANE, %s", pol.Policy, tlsEv.VerifiedName, good)
	}
}
