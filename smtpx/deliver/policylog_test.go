package deliver_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// policyLog delivers one message through a Verbose connector and returns
// its send log's "*" lines as "data|context".
func policyLog(t *testing.T, sc *connector.SendConnector, domain string, opts ...deliver.Option) []string {
	t.Helper()
	var out syncBuffer
	plog := protolog.New(&out, protolog.WithType(protolog.Send))
	d := mustNew(t, append([]deliver.Option{deliver.WithSendConnectors(sc), deliver.WithProtocolLog(plog)}, opts...)...)
	_, _ = newHarness(t, d, deliver.HopFor(sc, domain)).send(queue.Envelope{Recipients: rcpts("bob@" + domain)}, testBody)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := plog.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := protolog.Parse(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range recs {
		if r.Event == protolog.EventInfo && !strings.HasPrefix(r.Data, "TLS 1.") {
			lines = append(lines, r.Data+"|"+r.Context)
		}
	}
	return lines
}

// Every delivery decision of a Verbose connector is in its protocol log:
// the policy a host is held to, and why a host was refused, in the
// session or, when refused before dialling, in a session of its own.
func TestProtocolLogPolicyDecisions(t *testing.T) {
	pki := smtptest.NewPKI(t)
	stranger := smtptest.NewPKI(t).Certificate("mx.mismatch.example").Leaf
	cases := []*daneCase{
		{domain: "ee.example", tlsa: eeRecord("mx.ee.example")},
		{domain: "mismatch.example", tlsa: func(_, _ *x509.Certificate) mxtest.Record {
			return mxtest.TLSA("_25._tcp.mx.mismatch.example", 3, 1, 1, stranger)
		}},
		{domain: "stripped.example", tlsa: eeRecord("mx.stripped.example"), noTLS: true},
		{domain: "bogus.example", bogus: true, tlsa: eeRecord("mx.bogus.example")},
		{domain: "insecure.example", insecure: true},
		{domain: "plain.example"},
	}
	u := daneWorld(t, pki, cases)
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false), mx.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ee.example": {"DANE: 1 usable TLSA record(s) at _25._tcp.mx.ee.example: STARTTLS required, certificate must match one|TLS policy"},
		"mismatch.example": {
			"DANE: 1 usable TLSA record(s) at _25._tcp.mx.mismatch.example: STARTTLS required, certificate must match one|TLS policy",
			"DANE: no TLSA record matched the certificate of mx.mismatch.example|TLS policy refused the host",
		},
		"stripped.example": {
			"DANE: 1 usable TLSA record(s) at _25._tcp.mx.stripped.example: STARTTLS required, certificate must match one|TLS policy",
			"DANE: mx.stripped.example does not offer STARTTLS, which its policy requires; not delivering in plaintext: " +
				"auth: the send policy failed at STARTTLS: auth: the next hop does not offer STARTTLS|TLS policy refused the host",
		},
		"bogus.example":    {"DANE: TLSA lookup for mx.bogus.example failed, so the host cannot be used: mx: temporary failure looking up TLSA for _25._tcp.mx.bogus.example at " + u.Addr() + ": mx: DNS server failure: SERVFAIL|TLS policy refused the host"},
		"insecure.example": {"Connector: opportunistic TLS (no DANE: the MX or address records of mx.insecure.example are not DNSSEC-validated; MTA-STS off)|TLS policy"},
		"plain.example":    {"Connector: opportunistic TLS (no DANE: no TLSA records for mx.plain.example; MTA-STS off)|TLS policy"},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) {
				c.ProtocolLoggingLevel = connector.ProtocolLoggingVerbose
			})
			got := policyLog(t, sc, c.domain, deliver.WithResolver(r), deliver.WithMXPort(port(t, c.sink.Addr())), deliver.WithMTASTS(false))
			if strings.Join(got, "\n") != strings.Join(want[c.domain], "\n") {
				t.Errorf("policy lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want[c.domain], "\n"))
			}
		})
	}
}

func TestProtocolLogMTASTS(t *testing.T) {
	pki := smtptest.NewPKI(t)
	mx1 := smtptest.NewSink(t, smtptest.Hostname("mx1.fabrikam.com"), smtptest.WithPKI(pki, "mx1.fabrikam.com"))
	host := smtptest.NewMTASTSHost(t, pki, "fabrikam.com", "version: STSv1\nmode: enforce\nmx: mx1.fabrikam.com\nmax_age: 86400\n")
	dns := mxtest.NewDNS(t, mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"), mxtest.MX("fabrikam.com", 5, "mx.woodgrove.com"),
		mxtest.A("mx1.fabrikam.com", "127.0.0.11"), mxtest.A("mx.woodgrove.com", "127.0.0.12"),
		mxtest.TXT("_mta-sts.fabrikam.com", "v=STSv1; id=1"))
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) {
		c.ProtocolLoggingLevel = connector.ProtocolLoggingVerbose
	})
	got := policyLog(t, sc, "fabrikam.com", deliver.WithResolver(newResolver(t, dns)), deliver.WithRootCAs(pki.Pool()),
		deliver.WithMTASTSHTTPClient(host.Client()), deliver.WithDialer(mapDialer(map[string]string{"127.0.0.11:25": mx1.Addr()})))
	want := []string{
		"MTA-STS: mx.woodgrove.com is not an MX host of the policy of fabrikam.com (mx: mx1.fabrikam.com)|TLS policy refused the host",
		"MTA-STS: enforced policy of fabrikam.com (mx: mx1.fabrikam.com): STARTTLS required, certificate must be valid for mx1.fabrikam.com|TLS policy",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("policy lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
