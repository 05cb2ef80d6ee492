package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// Outbound TLS policies on the relay (issue 21): a variant with policy=
// runs `hubedge run` on bench/scripts/internet.ps1, whose "To Internet"
// connector delivers by MX lookup, and gives each run a world of its
// own: a DNSSEC-signed zone for the recipients' domain, served by
// mxtest's DNS server behind a real unbound (validating, trusted with
// -dnssec), and for MTA-STS an HTTPS policy host.
//
// The world is two signed zones, as on the Internet the MX host's zone is
// seldom the recipient domain's:
//
//	example.net.                 MX 10 relay.bench.example.
//	_mta-sts.example.net.        TXT "v=STSv1; id=1"        (mtasts)
//	relay.bench.example.         A 127.0.0.1               (the Go sink, on NEXTHOP_PORT via -mx-port)
//	_25._tcp.relay.bench.example. TLSA 3 1 1 <the sink's key> (dane)
//
// relay.bench.example is the name the bench PKI's leaf carries, so the
// sink's certificate is valid for the MX host, as MTA-STS enforce mode
// demands. The TLSA record is at port 25, the connector's port (the one
// RFC 7672 names), although the relay dials NEXTHOP_PORT.
const (
	policyOff           = "off"           // DANE and MTA-STS off on the connector: no TLSA or TXT lookups
	policyOpportunistic = "opportunistic" // both on, nothing published: the lookups find nothing
	policyDANE          = "dane"          // TLSA 3 1 1 of the sink's key
	policyMTASTS        = "mtasts"        // an enforced MTA-STS policy listing the MX host
)

// policyNames are the policy= values.
var policyNames = []string{policyOff, policyOpportunistic, policyDANE, policyMTASTS}

// Names of the policy world.
const (
	policyDomain = "example.net" // the Go source's recipients' domain
	policyMXZone = "bench.example"
	policyMXHost = benchServerName // relay.bench.example
)

// mtastsPolicy is the policy the MTA-STS host serves for policyDomain.
const mtastsPolicy = "version: STSv1\nmode: enforce\nmx: " + policyMXHost + "\nmax_age: 86400\n"

// policyZones returns the records of the world for policy: the
// recipient domain's zone and the MX host's, unsigned, in that order.
// leaf is the sink's certificate (for the TLSA record).
func policyZones(policy string, leaf *x509.Certificate) (domain, host []mxtest.Record) {
	domain = []mxtest.Record{mxtest.MX(policyDomain, 10, policyMXHost)}
	host = []mxtest.Record{mxtest.A(policyMXHost, "127.0.0.1")}
	switch policy {
	case policyDANE:
		host = append(host, mxtest.TLSA("_25._tcp."+policyMXHost, 3, 1, 1, leaf))
	case policyMTASTS:
		domain = append(domain, mxtest.TXT("_mta-sts."+policyDomain, "v=STSv1; id=1"),
			mxtest.A("mta-sts."+policyDomain, "127.0.0.1"))
	}
	return domain, host
}

// policyWorld is one run's DNS, resolver and policy host.
type policyWorld struct {
	tb       *smtptest.Standalone
	Resolver string // unbound's address: the relay's -dns
	// For mtasts: the HTTPS proxy the relay's policy fetch goes through
	// (HTTPS_PROXY), which sends every CONNECT to the policy host, and a
	// PEM file of the policy host's CA (SSL_CERT_FILE, the relay's system
	// roots).
	Proxy, RootsFile string
	sts              *smtptest.MTASTSHost
	proxy            *connectProxy
	fetches0         int // policy fetches before the timed window (mark)
	// unbound is the resolver's pid (0 if not found), unbound0 its CPU
	// ticks at mark: its CPU is reported apart from the relay's.
	unbound  int
	unbound0 int64
}

// startPolicyWorld serves the zones of policy, signed, behind unbound,
// and for mtasts the policy host; dir holds its files. certFile is the
// sink's certificate chain (PEM, leaf first).
func startPolicyWorld(policy, certFile, dir string) (w *policyWorld, err error) {
	leaf, err := readLeaf(certFile)
	if err != nil {
		return nil, err
	}
	w = &policyWorld{tb: &smtptest.Standalone{}}
	defer func() {
		// smtptest reports its failures by panicking through Standalone.Fatalf.
		if p := recover(); p != nil {
			err = fmt.Errorf("bench: policy world: %v", p)
		}
		if err != nil {
			w.close()
			w = nil
		}
	}()
	domRecs, hostRecs := policyZones(policy, leaf)
	dz := mxtest.NewSignedZone(w.tb, policyDomain, domRecs...)
	hz := mxtest.NewSignedZone(w.tb, policyMXZone, hostRecs...)
	srv := mxtest.NewDNS(w.tb, append(dz.Records(w.tb), hz.Records(w.tb)...)...)
	u, err := mxtest.StartUnbound(w.tb, srv,
		mxtest.UnboundZone{Name: dz.Apex(), TrustAnchor: dz.TrustAnchor()},
		mxtest.UnboundZone{Name: hz.Apex(), TrustAnchor: hz.TrustAnchor()})
	if err != nil {
		return w, fmt.Errorf("bench: policy=%s: %w", policy, err)
	}
	w.Resolver = u.Addr()
	w.unbound = childPID(os.Getpid(), "unbound")
	if policy != policyMTASTS {
		return w, nil
	}
	pki := smtptest.NewPKI(w.tb)
	w.sts = smtptest.NewMTASTSHost(w.tb, pki, policyDomain, mtastsPolicy)
	w.RootsFile = filepath.Join(dir, "mta-sts-roots.pem")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return w, err
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.CACert().Raw})
	if err := os.WriteFile(w.RootsFile, ca, 0o644); err != nil {
		return w, err
	}
	stsAddr, err := mtastsAddr(w.sts)
	if err != nil {
		return w, err
	}
	if w.proxy, err = startConnectProxy(stsAddr); err != nil {
		return w, err
	}
	w.Proxy = "http://" + w.proxy.Addr()
	return w, nil
}

// mtastsAddr finds the policy host's listener: its Client dials it for
// any address, so one fetch through a copy of its transport that notes
// the address it dialled tells it (that fetch is before any timed window).
func mtastsAddr(h *smtptest.MTASTSHost) (string, error) {
	tr, ok := h.Client().Transport.(*http.Transport)
	if !ok || tr.DialContext == nil {
		return "", errors.New("bench: MTA-STS host: unexpected client transport")
	}
	var addr string
	tr = tr.Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		c, err := dial(ctx, network, a)
		if err == nil {
			addr = c.RemoteAddr().String()
		}
		return c, err
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://mta-sts." + policyDomain + "/.well-known/mta-sts.txt")
	if err != nil {
		return "", fmt.Errorf("bench: MTA-STS host: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != mtastsPolicy || addr == "" {
		return "", fmt.Errorf("bench: MTA-STS host: %s %q from %q", resp.Status, body, addr)
	}
	return addr, nil
}

// mark notes the policy fetches and unbound's CPU so far: the timed
// window starts.
func (w *policyWorld) mark() {
	if w == nil {
		return
	}
	if w.sts != nil {
		w.fetches0 = w.sts.Fetches()
	}
	if w.unbound > 0 {
		w.unbound0 = pidTicks(w.unbound)
	}
}

// UnboundCPU is the resolver's CPU seconds since mark; negative when its
// process was not found.
func (w *policyWorld) UnboundCPU() float64 {
	if w == nil || w.unbound == 0 {
		return -1
	}
	return float64(pidTicks(w.unbound)-w.unbound0) / clkTck
}

// childPID finds the youngest live child of ppid whose command is comm
// (the unbound mxtest.StartUnbound started), 0 if there is none.
func childPID(ppid int, comm string) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	best := 0
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if i < 0 || j < i || string(b[i+1:j]) != comm {
			continue
		}
		fields := strings.Fields(string(b[j+1:])) // state ppid ...
		if len(fields) < 2 || fields[1] != strconv.Itoa(ppid) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if err == nil && pid > best {
			best = pid
		}
	}
	return best
}

// Fetches counts the MTA-STS policy fetches served since mark, and
// before it (0 without mtasts).
func (w *policyWorld) Fetches() (timed, before int) {
	if w == nil || w.sts == nil {
		return 0, 0
	}
	return w.sts.Fetches() - w.fetches0, w.fetches0
}

func (w *policyWorld) close() {
	if w == nil {
		return
	}
	w.proxy.close()
	w.tb.Close()
}

// readLeaf parses the first certificate of a PEM file.
func readLeaf(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("bench: %s: no PEM certificate", path)
	}
	return x509.ParseCertificate(blk.Bytes)
}

// connectProxy is an HTTP proxy that answers every CONNECT by tunnelling
// to one address: the relay's MTA-STS fetch of
// https://mta-sts.example.net/ reaches the policy host through it
// (HTTPS_PROXY) without the relay's system resolver knowing the name.
// TLS runs end to end through the tunnel, so the relay still verifies
// the policy host's certificate for mta-sts.example.net.
type connectProxy struct {
	l       net.Listener
	to      string
	wg      sync.WaitGroup
	mu      sync.Mutex
	tunnels int
}

func startConnectProxy(to string) (*connectProxy, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &connectProxy{l: l, to: to}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's address, 127.0.0.1:port.
func (p *connectProxy) Addr() string { return p.l.Addr().String() }

// Tunnels counts the CONNECTs served.
func (p *connectProxy) Tunnels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tunnels
}

func (p *connectProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.tunnel(c)
		}()
	}
}

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.DialTimeout("tcp", p.to, 10*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(time.Minute))
	p.mu.Lock()
	p.tunnels++
	p.mu.Unlock()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, br) // what the client sent after the request, then the rest
		_ = up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	_, _ = io.Copy(c, up)
	_ = c.Close()
	<-done
}

func (p *connectProxy) close() {
	if p == nil {
		return
	}
	p.l.Close()
	p.wg.Wait()
}

// policyRelayCmd is the relay command of a policy= variant: hubedge run
// in the run's queue directory (the protocol log goes to its sendlog/),
// resolving through the world's unbound with -dnssec, dialling MX hosts
// on the sink's port, trusting the bench CA for SMTP (-ca) and, for
// MTA-STS, the policy host's CA as its system roots (SSL_CERT_FILE,
// which Go's crypto/x509 reads on Linux) through the proxy (HTTPS_PROXY,
// which net/http's default transport reads): hubedge run has no flag for
// either. scripts are hub.ps1, the copy of internet.ps1 and, for off,
// policies-off.ps1.
func policyRelayCmd(hubedge, qdir string, pki pkiFiles, w *policyWorld, mxPort int, scripts []string) string {
	a := []string{"env", "-C", shellQuote(qdir)}
	if w.Proxy != "" {
		a = append(a, "SSL_CERT_FILE="+shellQuote(w.RootsFile), "HTTPS_PROXY="+shellQuote(w.Proxy), "NO_PROXY=")
	}
	a = append(a, shellQuote(hubedge), "run", "-server", "Relay01", "-queue", shellQuote(filepath.Join(qdir, "spool")), "-log", "warn",
		"-cert", shellQuote(pki.Cert), "-key", shellQuote(pki.Key), "-ca", shellQuote(pki.CA),
		"-dns", w.Resolver, "-dnssec", "-mx-port", fmt.Sprint(mxPort))
	for _, s := range scripts {
		a = append(a, shellQuote(s))
	}
	return strings.Join(a, " ")
}

// internetScriptPort is the binding bench/scripts/internet.ps1 carries.
const internetScriptPort = "127.0.0.1:2856"

// internetScript returns internet.ps1 with its receive connector bound to
// listen instead of internetScriptPort.
func internetScript(src []byte, listen string) ([]byte, error) {
	s := string(src)
	if strings.Count(s, "-Bindings "+internetScriptPort) != 1 {
		return nil, fmt.Errorf("bench: internet.ps1: want exactly one -Bindings %s", internetScriptPort)
	}
	return []byte(strings.Replace(s, "-Bindings "+internetScriptPort, "-Bindings "+listen, 1)), nil
}

// policyCounts counts the protocol log's "TLS policy" lines in the log
// files under dir by the policy they name: "DANE", "MTA-STS",
// "MTA-STS testing", "Connector" (the connector's own settings), and
// "refused" for the hosts a policy refused.
func policyCounts(dir string) (map[string]int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r")
			switch {
			case strings.HasSuffix(line, ",TLS policy refused the host"):
				n["refused"]++
			case strings.HasSuffix(line, ",TLS policy"):
				// the data field: "DANE: ...", "MTA-STS: ...", "Connector: ..."
				i := strings.Index(line, ",*,")
				if i < 0 {
					continue
				}
				data := strings.TrimPrefix(line[i+3:], `"`)
				name, _, ok := strings.Cut(data, ":")
				if !ok {
					continue
				}
				n[name]++
			}
		}
	}
	return n, nil
}

// policyField is " policy_sessions=DANE:N,..." for a result line: the
// sessions of the whole run (warm-up included) by the policy that held.
func policyField(n map[string]int) string {
	if len(n) == 0 {
		return " policy_sessions=none"
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.ReplaceAll(k, " ", "_") + ":" + fmt.Sprint(n[k])
	}
	return " policy_sessions=" + strings.Join(parts, ",")
}

// wantPolicy is the policy_sessions name every session of policy must
// show.
func wantPolicy(policy string) string {
	switch policy {
	case policyDANE:
		return "DANE"
	case policyMTASTS:
		return "MTA-STS"
	}
	return "Connector"
}

// policySetup starts this run's policy world and returns the relay
// command of the current policy= variant, with internet.ps1 copied into
// qdir with its binding on LISTEN_PORT.
func (r *runner) policySetup(qdir string) (string, error) {
	c := r.c
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	scripts := filepath.Join(root, "bench", "scripts")
	src, err := os.ReadFile(filepath.Join(scripts, "internet.ps1"))
	if err != nil {
		return "", err
	}
	b, err := internetScript(src, fmt.Sprintf("127.0.0.1:%d", c.ListenPort))
	if err != nil {
		return "", err
	}
	internet := filepath.Join(qdir, "internet.ps1")
	if err := os.WriteFile(internet, b, 0o644); err != nil {
		return "", err
	}
	list := []string{filepath.Join(scripts, "hub.ps1"), internet}
	if r.v.Policy == policyOff {
		list = append(list, filepath.Join(scripts, "policies-off.ps1"))
	}
	if r.v.NewConn {
		list = append(list, filepath.Join(scripts, "newconn.ps1"))
	}
	if r.world, err = startPolicyWorld(r.v.Policy, r.pki.Cert, qdir+".world"); err != nil {
		return "", err
	}
	return policyRelayCmd(r.hubedge, qdir, r.pki, r.world, c.NexthopPort, list), nil
}

// policyCheck notes unbound's CPU in the timed window, stops the relay
// (so its protocol log is flushed and closed), counts the sessions of the run by the TLS policy that held,
// and says whether every one held the variant's policy.
func (r *runner) policyCheck(qdir string, got int) string {
	unbound := r.world.UnboundCPU() // the timed window has just ended
	r.curRelay.stop()
	r.curRelay = nil
	n, err := policyCounts(filepath.Join(qdir, "sendlog"))
	if err != nil {
		return fmt.Sprintf(" policy_err=%q", err.Error())
	}
	s := policyField(n)
	total, want := 0, n[wantPolicy(r.v.Policy)]
	for _, k := range n {
		total += k
	}
	ok := total > 0 && want == total
	s += fmt.Sprintf(" policy_ok=%s", boolBit(ok))
	if unbound >= 0 && got > 0 {
		s += fmt.Sprintf(" unbound_cpu_s=%.2f unbound_cpu_us_per_msg=%.0f", unbound, unbound*1e6/float64(got))
	}
	if r.v.Policy == policyMTASTS {
		timed, before := r.world.Fetches()
		s += fmt.Sprintf(" mtasts_fetches=%d mtasts_fetches_warmup=%d", timed, before)
	}
	if !ok {
		note("WARNING: policy=%s: not every session held %s: %s (protocol log in %s)", r.v.Policy, wantPolicy(r.v.Policy), s, qdir)
	}
	return s
}

// policyHubedge is the hubedge binary of the policy= variants:
// HUBEDGE_BIN, or ./cmd/hubedge built into WORKDIR/bin beforehand, so
// that compile CPU never counts as the relay's.
func policyHubedge(ctx context.Context, c *config) (string, error) {
	if c.HubedgeBin != "" {
		return c.HubedgeBin, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	note("building ./cmd/hubedge")
	bin := filepath.Join(c.WorkDir, "bin", "hubedge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hubedge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build ./cmd/hubedge (or set HUBEDGE_BIN): %v\n%s", err, out)
	}
	return bin, nil
}
