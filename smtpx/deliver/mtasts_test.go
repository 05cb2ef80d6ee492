package deliver_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/tlsrpt"
)

func TestMTASTS(t *testing.T) {
	const (
		enforce  = "version: STSv1\nmode: enforce\nmx: *.fabrikam.com\nmax_age: 86400\n"
		testing_ = "version: STSv1\nmode: testing\nmx: *.fabrikam.com\nmax_age: 86400\n"
	)
	for _, tc := range []struct {
		name       string
		policy     string // "" publishes no policy
		mx1Cert    string // the name on mx1.fabrikam.com's certificate
		mx1Down    bool
		requireTLS bool
		off        bool   // the connector's MtaStsEnabled is $false
		code       int    // 250, 550 (bounce) or 451 (deferred)
		enhanced   string // of the result or the hop error
		via        string // the host that got the message
		explain    string
		report     string // TLS-RPT result type recorded, "" for success only
	}{
		{name: "enforce, matching MX", policy: enforce, mx1Cert: "mx1.fabrikam.com", code: 250, via: "mx1.fabrikam.com"},
		{name: "enforce, only a non-matching MX left", policy: enforce, mx1Cert: "mx1.fabrikam.com", mx1Down: true, code: 451,
			enhanced: "4.4.0", explain: "MTA-STS: mx.woodgrove.com is not an MX host of the policy of fabrikam.com (mx: *.fabrikam.com)",
			report: tlsrpt.ResultValidationFailure},
		{name: "enforce, certificate for another name", policy: enforce, mx1Cert: "www.fabrikam.com", code: 451,
			enhanced: "4.7.5", explain: "MTA-STS: the certificate of mx1.fabrikam.com is not valid for it (policy of fabrikam.com)",
			report: tlsrpt.ResultCertificateHostMismatch},
		{name: "testing, certificate for another name", policy: testing_, mx1Cert: "www.fabrikam.com", code: 250, via: "mx1.fabrikam.com",
			report: tlsrpt.ResultCertificateHostMismatch},
		{name: "enforce, but MtaStsEnabled $false on the connector", policy: enforce, mx1Cert: "www.fabrikam.com", off: true, code: 250,
			via: "mx1.fabrikam.com"},
		{name: "REQUIRETLS under enforce", policy: enforce, mx1Cert: "mx1.fabrikam.com", requireTLS: true, code: 550, enhanced: "5.7.30"},
		{name: "REQUIRETLS without policy", mx1Cert: "mx1.fabrikam.com", requireTLS: true, code: 550, enhanced: "5.7.10",
			explain: "authenticated by neither DANE nor MTA-STS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pki := smtptest.NewPKI(t)
			mx1 := smtptest.NewSink(t, smtptest.Hostname("mx1.fabrikam.com"), smtptest.WithTLS(pki.Certificate(tc.mx1Cert)))
			if tc.mx1Down {
				mx1.Stop()
			}
			mx2 := smtptest.NewSink(t, smtptest.Hostname("mx.woodgrove.com"), smtptest.WithPKI(pki, "mx.woodgrove.com"))
			records := []mxtest.Record{
				mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"), mxtest.MX("fabrikam.com", 20, "mx.woodgrove.com"),
				mxtest.A("mx1.fabrikam.com", "127.0.0.11"), mxtest.A("mx.woodgrove.com", "127.0.0.12")}
			host := smtptest.NewMTASTSHost(t, pki, "fabrikam.com", tc.policy)
			if tc.policy != "" {
				records = append(records, mxtest.TXT("_mta-sts.fabrikam.com", "v=STSv1; id=20261206"))
			}
			dns := mxtest.NewDNS(t, records...)
			now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			rep := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com").WithClock(func() time.Time { return now })
			sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*", func(c *connector.SendConfig) { c.MtaStsEnabled = !tc.off })
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithTrace(rec.Add),
				deliver.WithRootCAs(pki.Pool()), deliver.WithMTASTSHTTPClient(host.Client()), deliver.WithTLSReporter(rep),
				deliver.WithDialer(mapDialer(map[string]string{"127.0.0.11:25": mx1.Addr(), "127.0.0.12:25": mx2.Addr()})))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			res, err := h.send(queue.Envelope{RequireTLS: tc.requireTLS}, testBody)
			switch tc.code {
			case 451:
				var he *deliver.HopError
				if !errors.As(err, &he) || he.EnhancedCode() != tc.enhanced {
					t.Fatalf("want a deferral %s: res=%+v err=%v", tc.enhanced, res, err)
				}
				if !strings.Contains(err.Error(), tc.explain) {
					t.Errorf("error %q\ndoes not explain %q", err, tc.explain)
				}
				if n := len(mx1.Messages()) + len(mx2.Messages()); n != 0 {
					t.Errorf("%d messages delivered", n)
				}
			default:
				if err != nil || len(res) != 1 || res[0].Code != tc.code || tc.enhanced != "" && res[0].Enhanced != tc.enhanced ||
					!strings.Contains(res[0].Text, tc.explain) {
					t.Fatalf("res=%+v err=%v; want %d %s %q", res, err, tc.code, tc.enhanced, tc.explain)
				}
				if tc.via != "" && res[0].RemoteMTA != tc.via {
					t.Errorf("delivered via %q, want %q", res[0].RemoteMTA, tc.via)
				}
			}
			if mx2.Connections() != 0 && tc.policy == enforce {
				t.Errorf("the non-matching MX was dialled under an enforced policy")
			}
			reports := rep.Reports(now)
			var got []string
			for _, r := range reports {
				for _, p := range r.Policies {
					for _, f := range p.FailureDetails {
						got = append(got, f.ResultType)
					}
				}
			}
			if tc.report == "" && len(got) > 0 || tc.report != "" && !slices.Contains(got, tc.report) {
				t.Errorf("TLS-RPT failures %q, want %q (%+v)", got, tc.report, reports)
			}
		})
	}
}

// A policy renewed by RefreshMTASTS before it expires stays in force
// after its first max_age, with no fetch on the delivery path, even when
// the policy host then serves garbage.
func TestMTASTSRefresh(t *testing.T) {
	pki := smtptest.NewPKI(t)
	mx1 := smtptest.NewSink(t, smtptest.Hostname("mx1.fabrikam.com"), smtptest.WithPKI(pki, "mx1.fabrikam.com"))
	host := smtptest.NewMTASTSHost(t, pki, "fabrikam.com", "version: STSv1\nmode: enforce\nmx: *.fabrikam.com\nmax_age: 86400\n")
	dns := mxtest.NewDNS(t, mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"), mxtest.A("mx1.fabrikam.com", "127.0.0.11"),
		mxtest.TXT("_mta-sts.fabrikam.com", "v=STSv1; id=1"))
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	sc := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithTrace(rec.Add),
		deliver.WithRootCAs(pki.Pool()), deliver.WithMTASTSHTTPClient(host.Client()), deliver.WithMTASTSClock(clock),
		deliver.WithMTASTSRefresh(0), deliver.WithMaxIdleConnsPerHop(0),
		deliver.WithDialer(mapDialer(map[string]string{"127.0.0.11:25": mx1.Addr()})))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	deliverHeld := func(step string) {
		t.Helper()
		before := len(rec.Filter(kindIs(deliver.EventPolicy)))
		if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
			t.Fatalf("%s: res=%+v err=%v", step, res, err)
		}
		evs := rec.Filter(kindIs(deliver.EventPolicy))
		if len(evs) != before+1 || evs[before].Policy != deliver.PolicyMTASTS {
			t.Fatalf("%s: policy events %+v, want MTA-STS", step, evs[before:])
		}
	}
	deliverHeld("first delivery")
	advance(20 * time.Hour)
	if err := d.RefreshMTASTS(context.Background()); err != nil || host.Fetches() != 2 {
		t.Fatalf("RefreshMTASTS: %v, %d fetches, want 2", err, host.Fetches())
	}
	host.SetPolicy("garbage")
	advance(10 * time.Hour) // past the first fetch's max_age
	deliverHeld("after the first max_age")
	if n := host.Fetches(); n != 2 {
		t.Errorf("%d fetches, want 2: the delivery fetched the policy", n)
	}
}
