package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dane"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
)

// policy= and newconn= are variant settings: policy= needs TLS=1, and
// newconn=1 a policy.
func TestPolicyVariants(t *testing.T) {
	ok := map[string]variant{
		"policy=dane":                    {Policy: policyDANE},
		"policy=mtasts,newconn=1":        {Policy: policyMTASTS, NewConn: true},
		"policy=off":                     {Policy: policyOff},
		"policy=opportunistic,key=ecdsa": {Policy: policyOpportunistic},
	}
	for spec, want := range ok {
		c, err := loadConfig(envOf(map[string]string{"TLS": "1", "VARIANTS": spec}))
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		if v := c.Variants[0]; v.Policy != want.Policy || v.NewConn != want.NewConn {
			t.Errorf("%s: policy %q newconn %v, want %q %v", spec, v.Policy, v.NewConn, want.Policy, want.NewConn)
		}
	}
	for spec, env := range map[string]map[string]string{
		"without TLS":         {"VARIANTS": "policy=dane policy=off"},
		"unknown policy":      {"TLS": "1", "VARIANTS": "policy=tlsrpt"},
		"newconn alone":       {"TLS": "1", "VARIANTS": "newconn=1"},
		"newconn not 1":       {"TLS": "1", "VARIANTS": "policy=dane,newconn=2"},
		"policy without name": {"TLS": "1", "VARIANTS": "policy="},
	} {
		if _, err := loadConfig(envOf(env)); err == nil {
			t.Errorf("%s (%v): accepted", spec, env)
		}
	}
}

// The relay of the policy= variants loads as the harness runs it: one
// receive connector on LISTEN_PORT, "To Internet" DNS-routed on port 25
// with DANE and MTA-STS on and a Verbose protocol log, both off with
// policies-off.ps1, one message per connection with newconn.ps1.
func TestPolicyScripts(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("scripts", "internet.ps1"))
	if err != nil {
		t.Fatal(err)
	}
	internet, err := internetScript(src, "127.0.0.1:2966")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := internetScript([]byte("New-ReceiveConnector -Bindings 127.0.0.1:25"), "127.0.0.1:1"); err == nil {
		t.Error("internetScript accepted a script without the binding it replaces")
	}
	load := func(t *testing.T, extra ...string) *connector.SendConfig {
		t.Helper()
		cfg, err := cmdlet.DefaultConfig("Relay01", false)
		if err != nil {
			t.Fatal(err)
		}
		opts := cmdlet.Options{Server: "Relay01"}
		files := append([]string{"hub.ps1", "internet.ps1"}, extra...)
		for _, f := range files {
			path := filepath.Join("scripts", f)
			b := internet
			if f != "internet.ps1" {
				if b, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			}
			if cfg, err = cmdlet.Load(path, b, cfg, opts); err != nil {
				t.Fatal(err)
			}
		}
		send, recv := cfg.ForServer("Relay01")
		if len(recv) != 1 || len(send) != 1 {
			t.Fatalf("%d receive and %d send connectors, want one of each", len(recv), len(send))
		}
		if b := recv[0].Config.Bindings; len(b) != 1 || b[0].String() != "127.0.0.1:2966" {
			t.Errorf("receive connector bound to %v, want the copy's 127.0.0.1:2966", b)
		}
		if p := cfg.TransportServer.SendProtocolLogPath; p != "sendlog" {
			t.Errorf("SendProtocolLogPath %q, want sendlog (the harness reads it)", p)
		}
		sc := send[0].Config
		return &sc
	}
	on := load(t)
	if !on.DNSRoutingEnabled || len(on.SmartHosts) != 0 || on.Port != 25 || on.Usage != connector.UsageInternet {
		t.Errorf("To Internet: DNS routing %v, smart hosts %v, port %d, usage %v; want DNS routing on port 25, Internet usage",
			on.DNSRoutingEnabled, on.SmartHosts, on.Port, on.Usage)
	}
	if !on.DaneEnabled || !on.MtaStsEnabled || on.ProtocolLoggingLevel != connector.ProtocolLoggingVerbose {
		t.Errorf("To Internet: DANE %v, MTA-STS %v, protocol log %v; want both on and Verbose", on.DaneEnabled, on.MtaStsEnabled, on.ProtocolLoggingLevel)
	}
	if on.SmtpMaxMessagesPerConnection != connector.DefaultMaxMessagesPerConnection {
		t.Errorf("messages per connection %d, want the default", on.SmtpMaxMessagesPerConnection)
	}
	if off := load(t, "policies-off.ps1"); off.DaneEnabled || off.MtaStsEnabled || !off.DNSRoutingEnabled {
		t.Errorf("policies-off.ps1: DANE %v, MTA-STS %v, DNS routing %v; want both off, DNS routing on", off.DaneEnabled, off.MtaStsEnabled, off.DNSRoutingEnabled)
	}
	if one := load(t, "newconn.ps1"); one.SmtpMaxMessagesPerConnection != 1 {
		t.Errorf("newconn.ps1: %d messages per connection, want 1", one.SmtpMaxMessagesPerConnection)
	}
}

// The zones publish a TLSA record only for dane, matching the sink's key
// (DANE-EE, SPKI, SHA-256), and the _mta-sts record only for mtasts.
func TestPolicyZones(t *testing.T) {
	p, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := readLeaf(p.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range policyNames {
		dom, host := policyZones(policy, leaf)
		all := append(append([]mxtest.Record(nil), dom...), host...)
		var tlsa, txt int
		for _, r := range all {
			s := r.String()
			switch {
			case strings.Contains(s, "\tTLSA\t"):
				tlsa++
				if !strings.HasPrefix(s, "_25._tcp."+policyMXHost+".") || !strings.Contains(s, "\t3 1 1 ") {
					t.Errorf("%s: TLSA %q, want 3 1 1 at _25._tcp.%s", policy, s, policyMXHost)
				}
			case strings.Contains(s, "\tTXT\t"):
				txt++
			}
		}
		if want := policy == policyDANE; (tlsa == 1) != want || tlsa > 1 {
			t.Errorf("%s: %d TLSA records", policy, tlsa)
		}
		if want := policy == policyMTASTS; (txt == 1) != want || txt > 1 {
			t.Errorf("%s: %d TXT records", policy, txt)
		}
		if !strings.Contains(dom[0].String(), "MX\t10 "+policyMXHost+".") {
			t.Errorf("%s: first record %q, want the MX", policy, dom[0])
		}
	}
	if !leafNames(leaf, policyMXHost) {
		t.Errorf("the sink's certificate does not name the MX host %s: MTA-STS enforce would refuse it", policyMXHost)
	}
}

func leafNames(c *x509.Certificate, name string) bool { return c.VerifyHostname(name) == nil }

// The world answers through a real unbound as the relay sees it: the MX
// and its host DNSSEC-secure, the TLSA record secure and matching the
// sink's certificate (dane), and the MTA-STS policy fetched over HTTPS
// through the proxy with only the world's CA trusted (mtasts).
func TestPolicyWorld(t *testing.T) {
	p, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{policyDANE, policyMTASTS} {
		t.Run(policy, func(t *testing.T) {
			w, err := startPolicyWorld(policy, p.Cert, t.TempDir())
			if errors.Is(err, mxtest.ErrUnboundMissing) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			if w.unbound == 0 || w.UnboundCPU() < 0 {
				t.Errorf("unbound's process not found (pid %d)", w.unbound)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := mx.New(mx.WithServers(w.Resolver), mx.WithTrustAD(true), mx.WithIPv6(false))
			if err != nil {
				t.Fatal(err)
			}
			hosts, err := r.LookupMX(ctx, policyDomain)
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != 1 || hosts[0].Name != policyMXHost || !hosts[0].Secure || len(hosts[0].Addrs) != 1 || hosts[0].Addrs[0].String() != "127.0.0.1" {
				t.Fatalf("MX of %s: %+v, want %s at 127.0.0.1, secure", policyDomain, hosts, policyMXHost)
			}
			res, err := r.LookupTLSA(ctx, policyMXHost, 25)
			if err != nil {
				t.Fatal(err)
			}
			if policy != policyDANE {
				if len(res.Records) != 0 {
					t.Errorf("TLSA records %v in the %s world", res.Records, policy)
				}
				fetchPolicy(t, w)
				return
			}
			if !res.Secure || len(res.Records) != 1 {
				t.Fatalf("TLSA at _25._tcp.%s: %+v, want one secure record", policyMXHost, res)
			}
			leaf, _ := x509.ParseCertificate(pair.Certificate[0])
			if _, err := dane.Verify(dane.Usable(res.Records), []*x509.Certificate{leaf}, []string{policyMXHost}, time.Now()); err != nil {
				t.Errorf("TLSA %v and the sink's certificate: %v", res.Records, err)
			}
		})
	}
}

// fetchPolicy fetches the MTA-STS policy as the relay does: through the
// proxy (HTTPS_PROXY), trusting the roots file alone (SSL_CERT_FILE).
func fetchPolicy(t *testing.T, w *policyWorld) {
	t.Helper()
	roots := x509.NewCertPool()
	b, err := os.ReadFile(w.RootsFile)
	if err != nil || !roots.AppendCertsFromPEM(b) {
		t.Fatalf("roots file %s: %v", w.RootsFile, err)
	}
	proxy, err := url.Parse(w.Proxy)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	_, before := w.Fetches()
	w.mark()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://mta-sts." + policyDomain + "/.well-known/mta-sts.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != mtastsPolicy {
		t.Errorf("policy %q, want %q", got, mtastsPolicy)
	}
	if timed, marked := w.Fetches(); timed != 1 || marked < 1 || before != 0 {
		t.Errorf("fetches: %d since mark, %d before it, %d before the first mark; want 1, >= 1 (the harness's own), 0", timed, marked, before)
	}
	if n := w.proxy.Tunnels(); n != 1 {
		t.Errorf("%d tunnels through the proxy, want 1", n)
	}
}

// The protocol log's TLS policy lines are counted by the policy named.
func TestPolicyCounts(t *testing.T) {
	dir := t.TempDir()
	log := `#Software: hubedge
#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
2026-12-07T01:00:00.000Z,To Internet,08DE1,0,,127.0.0.1:2857,*,DANE: 1 usable TLSA record(s) at _25._tcp.relay.bench.example: STARTTLS required,TLS policy
2026-12-07T01:00:00.001Z,To Internet,08DE1,1,,127.0.0.1:2857,<,220 ready,
2026-12-07T01:00:00.002Z,To Internet,08DE2,0,,127.0.0.1:2857,*,"DANE: 1 usable TLSA record(s), certificate must match one",TLS policy
2026-12-07T01:00:00.003Z,To Internet,08DE3,0,,127.0.0.1:2857,*,MTA-STS: enforce policy of example.net lists relay.bench.example,TLS policy
2026-12-07T01:00:00.004Z,To Internet,08DE4,0,,127.0.0.1:2857,*,Connector: opportunistic TLS (no DANE: no TLSA records for relay.bench.example; no MTA-STS policy for example.net),TLS policy
2026-12-07T01:00:00.005Z,To Internet,08DE5,0,,,*,451 4.7.5 DANE: no TLSA record matched,TLS policy refused the host
`
	if err := os.WriteFile(filepath.Join(dir, "SEND20261207-1.LOG"), []byte(strings.ReplaceAll(log, "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := policyCounts(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"DANE": 2, "MTA-STS": 1, "Connector": 1, "refused": 1}
	if len(n) != len(want) {
		t.Errorf("counts %v, want %v", n, want)
	}
	for k, v := range want {
		if n[k] != v {
			t.Errorf("%s: %d, want %d (all: %v)", k, n[k], v, n)
		}
	}
	if got := policyField(n); got != " policy_sessions=Connector:1,DANE:2,MTA-STS:1,refused:1" {
		t.Errorf("field %q", got)
	}
	if got := policyField(nil); got != " policy_sessions=none" {
		t.Errorf("empty field %q", got)
	}
}

// The relay command resolves through the world's unbound with -dnssec,
// dials the sink's port, and only for mtasts gets the roots file and the
// proxy.
func TestPolicyRelayCmd(t *testing.T) {
	p := pkiFiles{CA: "/p/ca.pem", Cert: "/p/cert.pem", Key: "/p/key.pem"}
	w := &policyWorld{Resolver: "127.0.0.1:5353"}
	got := policyRelayCmd("/bin/hubedge", "/w/queue.1", p, w, 2857, []string{"/s/hub.ps1", "/w/queue.1/internet.ps1"})
	want := "env -C '/w/queue.1' '/bin/hubedge' run -server Relay01 -queue '/w/queue.1/spool' -log warn -cert '/p/cert.pem' -key '/p/key.pem' -ca '/p/ca.pem' " +
		"-dns 127.0.0.1:5353 -dnssec -mx-port 2857 '/s/hub.ps1' '/w/queue.1/internet.ps1'"
	if got != want {
		t.Errorf("command\n%s\nwant\n%s", got, want)
	}
	w.Proxy, w.RootsFile = "http://127.0.0.1:4000", "/w/roots.pem"
	got = policyRelayCmd("/bin/hubedge", "/w/queue.1", p, w, 2857, nil)
	if !strings.HasPrefix(got, "env -C '/w/queue.1' SSL_CERT_FILE='/w/roots.pem' HTTPS_PROXY='http://127.0.0.1:4000' NO_PROXY= '/bin/hubedge' run ") {
		t.Errorf("mtasts command %s", got)
	}
	for policy, name := range map[string]string{policyDANE: "DANE", policyMTASTS: "MTA-STS", policyOff: "Connector", policyOpportunistic: "Connector"} {
		if got := wantPolicy(policy); got != name {
			t.Errorf("wantPolicy(%s) = %s, want %s", policy, got, name)
		}
	}
}
