package deliver_test

import (
	"crypto/x509"
	"syscall"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// BenchmarkTLSPolicy measures one DNS-routed message end to end (memory
// queue, MX and address lookups through unbound, a new STARTTLS session
// per message to a loopback sink) under each TLS policy with warm caches
// (unbound's, and the MTA-STS policy cache), so the differences are the
// policy's own cost: the TLSA or TXT query and the certificate check.
func BenchmarkTLSPolicy(b *testing.B) {
	pki := smtptest.NewPKI(b)
	type world struct {
		name, domain string
		opts         []deliver.Option
		extra        func(host string, leaf *x509.Certificate) []mxtest.Record
	}
	sts := smtptest.NewMTASTSHost(b, pki, "sts.example", "version: STSv1\nmode: enforce\nmx: mx.sts.example\nmax_age: 86400\n")
	worlds := []world{
		{name: "policies off", domain: "off.example", opts: []deliver.Option{deliver.WithDANE(false), deliver.WithMTASTS(false)}},
		{name: "opportunistic (no records)", domain: "plain.example"},
		{name: "DANE-EE", domain: "dane.example", extra: func(host string, leaf *x509.Certificate) []mxtest.Record {
			return []mxtest.Record{mxtest.TLSA("_25._tcp."+host, 3, 1, 1, leaf)}
		}},
		{name: "MTA-STS enforce (cached)", domain: "sts.example", opts: []deliver.Option{deliver.WithMTASTSHTTPClient(sts.Client())},
			extra: func(string, *x509.Certificate) []mxtest.Record {
				return []mxtest.Record{mxtest.TXT("_mta-sts.sts.example", "v=STSv1; id=1")}
			}},
	}
	srv := mxtest.NewDNS(b)
	var zones []mxtest.UnboundZone
	sinks := map[string]*smtptest.Sink{}
	for _, w := range worlds {
		host := "mx." + w.domain
		cert := pki.Certificate(host)
		sink := smtptest.NewSink(b, smtptest.Hostname(host), smtptest.WithTLS(cert))
		sinks[w.domain] = sink
		recs := []mxtest.Record{mxtest.MX(w.domain, 10, host), mxtest.A(host, "127.0.0.1")}
		if w.extra != nil {
			recs = append(recs, w.extra(host, cert.Leaf)...)
		}
		z := mxtest.NewSignedZone(b, w.domain, recs...)
		srv.Add(z.Records(b)...)
		zones = append(zones, mxtest.UnboundZone{Name: z.Apex(), TrustAnchor: z.TrustAnchor()})
	}
	u := startUnbound(b, srv, zones...)
	r, err := mx.New(mx.WithServers(u.Addr()), mx.WithTrustAD(true), mx.WithIPv6(false), mx.WithTimeout(5*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range worlds {
		b.Run(w.name, func(b *testing.B) {
			sink := sinks[w.domain]
			sc := smtptest.SendConnector(b, "To Internet", connector.UsageInternet, "*")
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(b, append([]deliver.Option{deliver.WithSendConnectors(sc), deliver.WithResolver(r), deliver.WithRootCAs(pki.Pool()),
				deliver.WithMXPort(port(b, sink.Addr())), deliver.WithMaxIdleConnsPerHop(0), deliver.WithTrace(rec.Add),
				deliver.WithTLSSessionCache(0)}, w.opts...)...)
			h := newHarness(b, d, deliver.HopFor(sc, w.domain))
			send := func() {
				if res, err := h.send(queue.Envelope{Recipients: rcpts("bob@" + w.domain)}, testBody); err != nil || res[0].Code != 250 {
					b.Fatalf("res=%+v err=%v", res, err)
				}
			}
			send() // warms unbound and the MTA-STS cache
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			for b.Loop() {
				send()
			}
			b.StopTimer()
			// CPU time, client and sink together, is steadier than ns/op on
			// a loaded machine (unbound's own CPU is not counted).
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			if evs := rec.Filter(kindIs(deliver.EventPolicy)); w.extra != nil && len(evs) == 0 {
				b.Fatalf("%s: no policy applied", w.name)
			}
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
