package deliver_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/tlsrpt"
	"github.com/miekg/dns"
)

// daneCase is one recipient domain of the DANE world: its zone (signed
// unless insecure), its MX host's sink and the TLSA record published.
type daneCase struct {
	domain   string
	insecure bool
	bogus    bool // the TLSA record's signature is broken
	tlsa     func(leaf, ca *x509.Certificate) mxtest.Record
	noTLS    bool
	// alias makes the MX host a CNAME for this name, which owns the
	// address; aliasTLSA is published at the alias.
	alias     string
	aliasTLSA func(leaf, ca *x509.Certificate) mxtest.Record
	sink      *smtptest.Sink
}

// daneWorld signs each case's zone, serves them all from one harness DNS
// server, and puts unbound in front with the trust anchors.
func daneWorld(t testing.TB, pki *smtptest.PKI, cases []*daneCase) *mxtest.Unbound {
	t.Helper()
	srv := mxtest.NewDNS(t)
	var zones []mxtest.UnboundZone
	for _, c := range cases {
		host := "mx." + c.domain
		cert := pki.ChainCertificate(host)
		opts := []smtptest.SinkOption{smtptest.Hostname(host), smtptest.WithTLS(cert)}
		if c.noTLS {
			opts = []smtptest.SinkOption{smtptest.Hostname(host), smtptest.NoSTARTTLS()}
		}
		c.sink = smtptest.NewSink(t, opts...)
		recs := []mxtest.Record{mxtest.MX(c.domain, 10, host)}
		switch {
		case c.alias == "":
			recs = append(recs, mxtest.A(host, "127.0.0.1"))
		case strings.HasSuffix(c.alias, "."+c.domain):
			recs = append(recs, mxtest.CNAME(host, c.alias), mxtest.A(c.alias, "127.0.0.1"))
		default: // in another case's zone, an unsigned one
			recs = append(recs, mxtest.CNAME(host, c.alias))
			srv.Add(mxtest.A(c.alias, "127.0.0.1"))
		}
		if c.tlsa != nil {
			recs = append(recs, c.tlsa(cert.Leaf, pki.CACert()))
		}
		if c.aliasTLSA != nil {
			recs = append(recs, c.aliasTLSA(cert.Leaf, pki.CACert()))
		}
		if c.insecure {
			srv.Add(append(recs, mxtest.SOA(c.domain))...)
			zones = append(zones, mxtest.UnboundZone{Name: c.domain})
			continue
		}
		z := mxtest.NewSignedZone(t, c.domain, recs...)
		if c.bogus {
			z.Bogus("_25._tcp."+host, dns.TypeTLSA)
		}
		srv.Add(z.Records(t)...)
		zones = append(zones, mxtest.UnboundZone{Name: c.domain, TrustAnchor: z.TrustAnchor()})
	}
	return startUnbound(t, srv, zones...)
}

// startUnbound puts unbound in front of srv, or skips the test.
func startUnbound(t testing.TB, srv *mxtest.DNS, zones ...mxtest.UnboundZone) *mxtest.Unbound {
	t.Helper()
	u, err := mxtest.StartUnbound(t, srv, zones...)
	if errors.Is(err, mxtest.ErrUnboundMissing) {
		t.Skip("unbound is not installed (apt-get install unbound): DANE needs a real validating resolver")
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func eeRecord(host string) func(leaf, _ *x509.Certificate) mxtest.Record {
	return func(leaf, _ *x509.Certificate) mxtest.Record { return mxtest.TLSA("_25._tcp."+host, 3, 1, 1, leaf) }
}

func TestDANE(t *testing.T) {
	pki := smtptest.NewPKI(t)
	stranger := smtptest.NewPKI(t).Certificate("mx.mismatch.example").Leaf
	cases := []*daneCase{
		{domain: "ee.example", tlsa: eeRecord("mx.ee.example")},
		{domain: "ta.example", tlsa: func(_, ca *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.mx.ta.example", 2, 0, 2, ca)
		}},
		{domain: "mismatch.example", tlsa: func(_, _ *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.mx.mismatch.example", 3, 1, 1, stranger)
		}},
		{domain: "stripped.example", tlsa: eeRecord("mx.stripped.example"), noTLS: true},
		{domain: "insecure.example", insecure: true, tlsa: func(_, _ *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.mx.insecure.example", 3, 1, 1, stranger) // would mismatch if believed
		}},
		{domain: "bogus.example", bogus: true, tlsa: eeRecord("mx.bogus.example")},
		// RFC 7672 §2.2.2: an MX host that is a secure alias has its TLSA
		// records looked up at the alias first, then at its own name.
		{domain: "alias-ee.example", alias: "real.alias-ee.example", aliasTLSA: eeRecord("real.alias-ee.example")},
		{domain: "alias-ta.example", alias: "real.alias-ta.example", aliasTLSA: func(_, ca *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.real.alias-ta.example", 2, 0, 1, ca) // the leaf names only the MX host
		}},
		{domain: "alias-fallback.example", alias: "real.alias-fallback.example", tlsa: eeRecord("mx.alias-fallback.example")},
		{domain: "alias-first.example", alias: "real.alias-first.example", tlsa: eeRecord("mx.alias-first.example"),
			aliasTLSA: func(_, _ *x509.Certificate) mxtest.Record {
				return mxtest.TLSA("_25._tcp.real.alias-first.example", 3, 1, 1, stranger)
			}},
		{domain: "alias-insecure.example", alias: "mx-alias.insecure.example", tlsa: func(_, _ *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.mx.alias-insecure.example", 3, 1, 1, stranger) // the host is insecure: ignored
		}},
	}
	u := daneWorld(t, pki, cases)
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false), mx.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		delivered bool
		policy    string // EventPolicy's Policy, "" for none
		errText   string // in the hop error: the explanation the queue keeps
		report    string // the TLS-RPT result type counted
	}{
		"ee.example":             {delivered: true, policy: deliver.PolicyDANE},
		"ta.example":             {delivered: true, policy: deliver.PolicyDANE},
		"mismatch.example":       {policy: deliver.PolicyDANE, errText: "451 4.7.5 Primary target IP address responded with: \"deliver: TLS negotiation failed: DANE: no TLSA record matched the certificate of mx.mismatch.example\"", report: tlsrpt.ResultValidationFailure},
		"stripped.example":       {policy: deliver.PolicyDANE, errText: "DANE: mx.stripped.example does not offer STARTTLS, which its policy requires; not delivering in plaintext", report: tlsrpt.ResultStartTLSNotSupported},
		"insecure.example":       {delivered: true},
		"bogus.example":          {errText: "DANE: TLSA lookup for mx.bogus.example failed, so the host cannot be used", report: tlsrpt.ResultTLSAInvalid},
		"alias-ee.example":       {delivered: true, policy: deliver.PolicyDANE},
		"alias-ta.example":       {delivered: true, policy: deliver.PolicyDANE},
		"alias-fallback.example": {delivered: true, policy: deliver.PolicyDANE},
		"alias-first.example": {policy: deliver.PolicyDANE, report: tlsrpt.ResultValidationFailure,
			errText: "DANE: no TLSA record matched the certificate of mx.alias-first.example (TLSA records of its alias real.alias-first.example)"},
		"alias-insecure.example": {delivered: true},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			w := want[c.domain]
			sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
			rec := &smtptest.Events[deliver.Event]{}
			rep := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com")
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithTrace(rec.Add),
				deliver.WithMXPort(port(t, c.sink.Addr())), deliver.WithMTASTS(false), deliver.WithTLSReporter(rep))
			h := newHarness(t, d, deliver.HopFor(sc, c.domain))
			res, err := h.send(queue.Envelope{Recipients: rcpts("bob@" + c.domain)}, testBody)
			if w.delivered {
				if err != nil || len(res) != 1 || res[0].Code != 250 || len(c.sink.Messages()) != 1 {
					t.Fatalf("res=%+v err=%v messages=%d\nunbound: %v", res, err, len(c.sink.Messages()), u.Log())
				}
			} else {
				var he *deliver.HopError
				if !errors.As(err, &he) || len(c.sink.Messages()) != 0 {
					t.Fatalf("want a deferral and nothing delivered: res=%+v err=%v messages=%d", res, err, len(c.sink.Messages()))
				}
				if he.Code() != 451 || !strings.HasPrefix(he.EnhancedCode(), "4.7.") {
					t.Errorf("status %d %s, want 451 4.7.x", he.Code(), he.EnhancedCode())
				}
				if !strings.Contains(err.Error(), w.errText) {
					t.Errorf("error %q\ndoes not explain %q", err, w.errText)
				}
			}
			pol := ""
			if evs := rec.Filter(kindIs(deliver.EventPolicy)); len(evs) > 0 {
				pol = evs[0].Policy
			}
			if pol != w.policy {
				t.Errorf("policy %q, want %q", pol, w.policy)
			}
			var ok, failed int64
			var kinds []string
			for _, r := range rep.Reports(time.Now()) {
				for _, p := range r.Policies {
					ok, failed = ok+p.Summary.Successful, failed+p.Summary.Failed
					for _, f := range p.FailureDetails {
						kinds = append(kinds, f.ResultType)
						if c.domain == "mismatch.example" && (f.SendingIP != "127.0.0.1" || f.ReceivingIP != "127.0.0.1") {
							t.Errorf("failure details %+v: want the sending and receiving IPs", f)
						}
					}
				}
			}
			if w.report != "" && (failed != 1 || kinds[0] != w.report) || w.report == "" && failed != 0 ||
				w.policy != "" && w.delivered && ok != 1 {
				t.Errorf("TLS-RPT: %d successful, %d failed %q; want the failure %q", ok, failed, kinds, w.report)
			}
			if c.noTLS {
				for _, m := range c.sink.Messages() {
					t.Errorf("delivered in plaintext: %+v", m)
				}
			}
		})
	}
	// A connector with DaneEnabled $false ignores the TLSA records that
	// would refuse the host: opportunistic TLS, delivered.
	t.Run("DaneEnabled $false", func(t *testing.T) {
		c := cases[2] // mismatch.example
		sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) { c.DaneEnabled = false })
		d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithMXPort(port(t, c.sink.Addr())), deliver.WithMTASTS(false))
		before := len(c.sink.Messages())
		res, err := newHarness(t, d, deliver.HopFor(sc, c.domain)).send(queue.Envelope{Recipients: rcpts("bob@" + c.domain)}, testBody)
		if err != nil || len(res) != 1 || res[0].Code != 250 || len(c.sink.Messages()) != before+1 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
}

func TestDANERequireTLS(t *testing.T) {
	pki := smtptest.NewPKI(t)
	cases := []*daneCase{
		{domain: "ee.example", tlsa: eeRecord("mx.ee.example")},
		{domain: "insecure.example", insecure: true},
	}
	u := daneWorld(t, pki, cases)
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	// The sinks do not offer REQUIRETLS: 5.7.30 proves the TLS session
	// itself satisfied RFC 8689, 5.7.10 that it did not (a valid WebPKI
	// certificate is not enough with an unsigned MX and no MTA-STS).
	for domain, want := range map[string]string{"ee.example": "5.7.30", "insecure.example": "5.7.10"} {
		t.Run(domain, func(t *testing.T) {
			var sink *smtptest.Sink
			for _, c := range cases {
				if c.domain == domain {
					sink = c.sink
				}
			}
			sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithRootCAs(pki.Pool()),
				deliver.WithMXPort(port(t, sink.Addr())), deliver.WithMTASTS(false))
			h := newHarness(t, d, deliver.HopFor(sc, domain))
			res, err := h.send(queue.Envelope{RequireTLS: true, Recipients: rcpts("bob@" + domain)}, testBody)
			if err != nil || len(res) != 1 || res[0].Code != 550 || res[0].Enhanced != want || len(sink.Messages()) != 0 {
				t.Fatalf("res=%+v err=%v messages=%d; want 550 %s", res, err, len(sink.Messages()), want)
			}
		})
	}
}

// TestDANESmartHost: a smart host given by name in a signed zone is held
// to its TLSA records at the port dialled, as Postfix's "dane" level does
// for a relayhost. DANE then stands for the connector's certificate check
// before AUTH (BasicAuthRequireTLS with a certificate no CA we trust
// issued); a mismatch defers; records at another port are not the host's.
func TestDANESmartHost(t *testing.T) {
	const user, pass = "svc-relay", "Relay-Passw0rd"
	stranger := smtptest.NewPKI(t).Certificate("smtp.relay.example").Leaf
	type shCase struct {
		name     string
		host     string
		tlsa     func(sink *smtptest.Sink, leaf *x509.Certificate) mxtest.Record
		mech     func(*connector.SendConfig)
		sink     *smtptest.Sink
		deferred string // the explanation when deferred
		policy   string
	}
	atPort := func(host string, leaf func(*x509.Certificate) *x509.Certificate) func(*smtptest.Sink, *x509.Certificate) mxtest.Record {
		return func(s *smtptest.Sink, l *x509.Certificate) mxtest.Record {
			return mxtest.TLSA(fmt.Sprintf("_%d._tcp.%s", port(t, s.Addr()), host), 3, 1, 1, leaf(l))
		}
	}
	own := func(l *x509.Certificate) *x509.Certificate { return l }
	other := func(*x509.Certificate) *x509.Certificate { return stranger }
	cases := []*shCase{
		{name: "match, AUTH", host: "ee.relay.example", tlsa: atPort("ee.relay.example", own), policy: deliver.PolicyDANE,
			mech: func(c *connector.SendConfig) { c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS }},
		{name: "mismatch", host: "bad.relay.example", tlsa: atPort("bad.relay.example", other), policy: deliver.PolicyDANE,
			deferred: "DANE: no TLSA record matched the certificate of bad.relay.example"},
		{name: "records for port 25 only", host: "p25.relay.example", tlsa: func(_ *smtptest.Sink, _ *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.p25.relay.example", 3, 1, 1, stranger)
		}},
	}
	pki := smtptest.NewPKI(t)
	var recs []mxtest.Record
	for _, c := range cases {
		cert := pki.Certificate(c.host)
		c.sink = smtptest.NewSink(t, smtptest.Hostname(c.host), smtptest.WithTLS(cert), smtptest.RequireAuth(user, pass))
		recs = append(recs, mxtest.A(c.host, "127.0.0.1"), c.tlsa(c.sink, cert.Leaf))
	}
	srv := mxtest.NewDNS(t)
	z := mxtest.NewSignedZone(t, "relay.example", recs...)
	srv.Add(z.Records(t)...)
	u := startUnbound(t, srv, mxtest.UnboundZone{Name: z.Apex(), TrustAnchor: z.TrustAnchor()})
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := []func(*connector.SendConfig){func(cfg *connector.SendConfig) {
				cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(fmt.Sprintf("%s:%d", c.host, port(t, c.sink.Addr())))}
				cfg.DNSRoutingEnabled = false
				cfg.AuthenticationCredential = connector.Credential{UserName: user, Password: pass}
				cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuth
			}}
			if c.mech != nil {
				opts = append(opts, c.mech)
			}
			sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", opts...)
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithTrace(rec.Add))
			res, err := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com")).send(queue.Envelope{RequireTLS: c.policy != "" && c.deferred == ""}, testBody)
			pol := ""
			if evs := rec.Filter(kindIs(deliver.EventPolicy)); len(evs) > 0 {
				pol = evs[0].Policy
			}
			if pol != c.policy {
				t.Errorf("policy %q, want %q", pol, c.policy)
			}
			if c.deferred != "" {
				var he *deliver.HopError
				if !errors.As(err, &he) || he.EnhancedCode() != "4.7.5" || !strings.Contains(err.Error(), c.deferred) || len(c.sink.Messages()) != 0 {
					t.Fatalf("res=%+v err=%v; want 4.7.5 %q and nothing delivered", res, err, c.deferred)
				}
				return
			}
			// REQUIRETLS (asked for under DANE) proves the session counts as
			// validated: the sink does not offer it, so 5.7.30, not 5.7.10.
			if c.policy != "" {
				if err != nil || len(res) != 1 || res[0].Enhanced != "5.7.30" {
					t.Fatalf("res=%+v err=%v; want 5.7.30 (REQUIRETLS not offered, TLS itself good enough)", res, err)
				}
				res, err = newHarness(t, d, deliver.HopFor(sc, "fabrikam.com")).send(queue.Envelope{}, testBody)
				if tlsEv := rec.Filter(kindIs(deliver.EventTLS)); len(tlsEv) == 0 || tlsEv[0].VerifiedName != c.host {
					t.Errorf("TLS events %+v, want the certificate verified for %s", tlsEv, c.host)
				}
			}
			if err != nil || len(res) != 1 || res[0].Code != 250 || len(c.sink.Messages()) != 1 {
				t.Fatalf("res=%+v err=%v messages=%d", res, err, len(c.sink.Messages()))
			}
		})
	}
}

// A TLS report from the configured sender reaches a domain whose DANE
// records refuse its MX (RFC 8460 §5.3: reports are delivered despite TLS
// failures) without being counted; other mail, a message from that
// sender that is not a report, and one that looks like a report but came
// in over SMTP (anyone may write those header fields) still wait, and do
// not ride on the report's connection.
func TestDANETLSReport(t *testing.T) {
	pki := smtptest.NewPKI(t)
	stranger := smtptest.NewPKI(t).Certificate("mx.mismatch.example").Leaf
	c := &daneCase{domain: "mismatch.example", tlsa: func(_, _ *x509.Certificate) mxtest.Record {
		return mxtest.TLSA("_25._tcp.mx.mismatch.example", 3, 1, 1, stranger)
	}}
	u := daneWorld(t, pki, []*daneCase{c})
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	const reporter = "tlsrpt-noreply@contoso.com"
	report := "From: " + reporter + "\r\nTo: tlsrpt@mismatch.example\r\nTLS-Report-Domain: mismatch.example\r\n" +
		"TLS-Report-Submitter: contoso.com\r\nSubject: Report Domain: mismatch.example\r\n\r\nreport\r\n"
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	rep := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com")
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithMXPort(port(t, c.sink.Addr())),
		deliver.WithMTASTS(false), deliver.WithTLSReporter(rep), deliver.WithTLSReportSender(reporter))
	for _, tc := range []struct {
		name, from, via, body string
		delivered             bool
	}{
		{"report", reporter, "", report, true},
		{"other mail after the report", "alice@contoso.com", "", testBody, false},
		{"not a report, from the report sender", reporter, "", testBody, false},
		{"a report's look, received over SMTP", reporter, "From Internet", report, false},
	} {
		before := len(c.sink.Messages())
		// A queue each: a deferral holds the hop's queue in Retry.
		env := queue.Envelope{From: tc.from, ReceiveConnector: tc.via, Recipients: rcpts("tlsrpt@" + c.domain)}
		res, err := newHarness(t, d, deliver.HopFor(sc, c.domain)).send(env, tc.body)
		got := err == nil && len(res) == 1 && res[0].Code == 250 && len(c.sink.Messages()) == before+1
		if got != tc.delivered {
			t.Errorf("%s: res=%+v err=%v, delivered %v, want %v", tc.name, res, err, got, tc.delivered)
		}
	}
	var sessions int64
	for _, r := range rep.Reports(time.Now()) {
		for _, p := range r.Policies {
			sessions += p.Summary.Successful + p.Summary.Failed
		}
	}
	if sessions != 3 {
		t.Errorf("%d sessions counted for TLS-RPT, want the 3 refused ones, not the report's", sessions)
	}
}

// When DANE holds every MX host, MTA-STS would apply to none (RFC 8461
// §2): its TXT record is not even queried. A domain without TLSA records
// still has its MTA-STS record looked up.
func TestDANESparesMTASTSLookup(t *testing.T) {
	pki := smtptest.NewPKI(t)
	srv := mxtest.NewDNS(t)
	sinks := map[string]*smtptest.Sink{}
	var zones []mxtest.UnboundZone
	for _, domain := range []string{"dane.example", "plain.example"} {
		host := "mx." + domain
		cert := pki.Certificate(host)
		sinks[domain] = smtptest.NewSink(t, smtptest.Hostname(host), smtptest.WithTLS(cert))
		recs := []mxtest.Record{mxtest.MX(domain, 10, host), mxtest.A(host, "127.0.0.1")}
		if domain == "dane.example" {
			recs = append(recs, mxtest.TLSA("_25._tcp."+host, 3, 1, 1, cert.Leaf))
		}
		z := mxtest.NewSignedZone(t, domain, recs...)
		srv.Add(z.Records(t)...)
		zones = append(zones, mxtest.UnboundZone{Name: z.Apex(), TrustAnchor: z.TrustAnchor()})
	}
	u := startUnbound(t, srv, zones...)
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	for domain, wantQuery := range map[string]bool{"dane.example": false, "plain.example": true} {
		sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
		d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithMXPort(port(t, sinks[domain].Addr())))
		if res, err := newHarness(t, d, deliver.HopFor(sc, domain)).send(queue.Envelope{Recipients: rcpts("bob@" + domain)}, testBody); err != nil || res[0].Code != 250 {
			t.Fatalf("%s: res=%+v err=%v", domain, res, err)
		}
		queried := slices.ContainsFunc(srv.Queries(), func(q mxtest.Query) bool {
			return q.Name == "_mta-sts."+domain+"." && q.Type == dns.TypeTXT
		})
		if queried != wantQuery {
			t.Errorf("%s: MTA-STS record queried %v, want %v", domain, queried, wantQuery)
		}
	}
}
