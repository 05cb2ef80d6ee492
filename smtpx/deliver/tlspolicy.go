package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dane"
	"github.com/hubedge/hubedge/mtasts"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/tlsrpt"
	"github.com/miekg/dns"
)

// Names of the TLS policies a DNS-routed host can be held to, as Events
// and errors print them.
const (
	PolicyDANE          = "DANE"
	PolicyMTASTS        = "MTA-STS"
	PolicyMTASTSTesting = "MTA-STS testing"
)

// WithDANE turns DANE (RFC 7672) on or off for DNS-routed delivery.
// Default on; it only takes effect with a resolver that trusts the AD bit
// (mx.WithTrustAD), since TLSA records count only when DNSSEC-validated.
func WithDANE(enabled bool) Option {
	return funcOption(func(o *options) { o.noDANE = !enabled })
}

// WithMTASTS turns MTA-STS (RFC 8461) on or off for DNS-routed delivery.
// Default on: a domain without an "_mta-sts" record costs one cached TXT
// query per hop.
func WithMTASTS(enabled bool) Option {
	return funcOption(func(o *options) { o.noMTASTS = !enabled })
}

// WithMTASTSHTTPClient sets the client MTA-STS policies are fetched with;
// its transport must validate certificates. Default: an http.Client with
// the system roots and a 1-minute timeout that resolves the policy host
// through the connector's resolver.
func WithMTASTSHTTPClient(c *http.Client) Option {
	return funcOption(func(o *options) { o.stsHTTP = c })
}

// WithMTASTSClock sets the clock of the MTA-STS policy cache. Default
// time.Now.
func WithMTASTSClock(now func() time.Time) Option {
	return funcOption(func(o *options) { o.stsClock = now })
}

// WithTLSReporter counts every session held to DANE or MTA-STS, and every
// failure to find a policy, in rec for TLS reporting (RFC 8460).
// Default: none.
func WithTLSReporter(rec *tlsrpt.Recorder) Option {
	return funcOption(func(o *options) { o.tlsrpt = rec })
}

// hostTLS is the TLS policy one MX host is held to, chosen by precedence:
// DANE over MTA-STS over the connector's own settings (nil).
type hostTLS struct {
	kind     string // PolicyDANE, PolicyMTASTS, PolicyMTASTSTesting
	domain   string // the policy (recipient) domain
	host     string
	names    []string    // DANE: the TLSA base domain first (SNI), then the MX host name if different
	tlsaAt   string      // DANE: the owner of the records, "_25._tcp.<base>"
	tlsa     []*dns.TLSA // usable records; none means encrypt without authenticating
	required bool        // no delivery without TLS passing verify
	unlisted bool        // testing mode: the policy does not list the host
	report   tlsrpt.Policy
}

// policyFailure is a host refused by its TLS policy; its text explains the
// decision in the queue's last error.
type policyFailure struct {
	kind       string
	resultType string // TLS-RPT result type
	msg        string
	err        error
	report     tlsrpt.Policy // counted when the host's turn comes (reportRefusal)
}

func (e *policyFailure) Error() string {
	if e.err != nil {
		return e.kind + ": " + e.msg + ": " + e.err.Error()
	}
	return e.kind + ": " + e.msg
}

func (e *policyFailure) Unwrap() error { return e.err }

// ErrTLSPolicy is wrapped by every failure to meet a host's DANE or
// MTA-STS policy.
var ErrTLSPolicy = errors.New("deliver: TLS policy not met")

func (e *policyFailure) Is(target error) bool { return target == ErrTLSPolicy }

// clientPolicy is the connector policy with the host's demands laid over
// it: TLS mandatory, and certificate checks left to verify (DANE-EE
// certificates need not chain to any CA). The connector's RequireTLS
// stays; its TlsAuthLevel and TlsDomain give way to the stronger policy.
func (h *hostTLS) clientPolicy(p auth.ClientPolicy) auth.ClientPolicy {
	if h == nil || !h.required {
		return p
	}
	p.RequireTLS, p.IgnoreStartTLS = true, false
	p.TLSAuthLevel, p.TLSDomain = auth.TLSAuthUnset, ""
	return p
}

// verify judges a handshake by the host's policy.
func (h *hostTLS) verify(cs tls.ConnectionState, roots *x509.CertPool, now time.Time) error {
	switch h.kind {
	case PolicyDANE:
		if len(h.tlsa) == 0 {
			return nil // RFC 7672 §2.2: only unusable records: encrypt, do not authenticate
		}
		if _, err := dane.Verify(h.tlsa, cs.PeerCertificates, h.names, now); err != nil {
			msg := "no TLSA record matched the certificate of " + h.host
			if h.names[0] != h.host {
				msg += " (TLSA records of its alias " + h.names[0] + ")"
			}
			return &policyFailure{kind: PolicyDANE, resultType: tlsrpt.ResultValidationFailure, msg: msg, err: unwrapMismatch(err)}
		}
		return nil
	default:
		if err := pkixVerify(cs.PeerCertificates, h.host, roots, now); err != nil {
			return &policyFailure{kind: h.kind, resultType: certResultType(err),
				msg: fmt.Sprintf("the certificate of %s is not valid for it (policy of %s)", h.host, h.domain), err: err}
		}
		return nil
	}
}

// unwrapMismatch keeps only the x509 cause of a DANE mismatch, whose own
// text the caller already says.
func unwrapMismatch(err error) error {
	var me *dane.MismatchError
	if errors.As(err, &me) {
		return me.Err
	}
	return err
}

func pkixVerify(certs []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("no certificate presented")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func certResultType(err error) string {
	var (
		host    x509.HostnameError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &host):
		return tlsrpt.ResultCertificateHostMismatch
	case errors.As(err, &unknown):
		return tlsrpt.ResultCertificateNotTrusted
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return tlsrpt.ResultCertificateExpired
	}
	return tlsrpt.ResultValidationFailure
}

// reportNote explains in the protocol log why a TLS report is held to
// no policy.
const reportNote = "a TLS report, delivered despite TLS policy failures (RFC 8460 §5.3)"

// DefaultMTASTSRefreshInterval is how often cached MTA-STS policies are
// renewed in the background.
const DefaultMTASTSRefreshInterval = time.Hour

// WithMTASTSRefresh sets how often the MTA-STS policies deliveries used
// in the last day are renewed in the background before they expire
// (RFC 8461 §5.1; see mtasts.Client.Refresh), so deliveries seldom wait
// for a fetch. The refresh starts with the first MTA-STS lookup and stops
// at Close. Default DefaultMTASTSRefreshInterval; 0 or less turns it off
// (RefreshMTASTS still works).
func WithMTASTSRefresh(every time.Duration) Option {
	return funcOption(func(o *options) { o.stsRefresh = every })
}

// stsClients holds one MTA-STS client per resolver, so TXT lookups use
// the connector's DNS servers, and the background refresh of their
// caches.
type stsClients struct {
	mu      sync.Mutex
	m       map[*mx.Resolver]*mtasts.Client
	stop    context.CancelFunc // nil until the refresh runs
	stopped chan struct{}
	closed  bool
}

func (d *Deliverer) stsClient(r *mx.Resolver) *mtasts.Client {
	d.sts.mu.Lock()
	defer d.sts.mu.Unlock()
	if c, ok := d.sts.m[r]; ok {
		return c
	}
	hc := d.opts.stsHTTP
	if hc == nil {
		hc = stsHTTPClient(r)
	}
	c, _ := mtasts.New(r.LookupTXT, mtasts.WithHTTPClient(hc), mtasts.WithClock(d.opts.stsClock))
	d.sts.m[r] = c
	if d.sts.stop == nil && !d.sts.closed && d.opts.stsRefresh > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		d.sts.stop, d.sts.stopped = cancel, make(chan struct{})
		go d.refreshLoop(ctx, d.opts.stsRefresh)
	}
	return c
}

// stsHTTPClient fetches policies for a resolver's domains when no client
// was given (WithMTASTSHTTPClient): the policy host's name is resolved by
// the same DNS servers as the _mta-sts record, the connector's rather
// than the system's, and its certificate checked against the system
// roots as RFC 8461 §3.3 asks. A proxy named in the environment is used.
func stsHTTPClient(r *mx.Resolver) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = r.DialContext
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

func (d *Deliverer) refreshLoop(ctx context.Context, every time.Duration) {
	defer close(d.sts.stopped)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := d.RefreshMTASTS(ctx); err != nil && ctx.Err() == nil {
				d.opts.logger.Info("deliver: MTA-STS refresh", "err", err)
			}
		}
	}
}

// stopRefresh ends the background refresh and waits for it (Close).
func (d *Deliverer) stopRefresh() {
	d.sts.mu.Lock()
	d.sts.closed = true
	stop, stopped := d.sts.stop, d.sts.stopped
	d.sts.mu.Unlock()
	if stop != nil {
		stop()
		<-stopped
	}
}

// RefreshMTASTS renews now what the background refresh renews every
// interval: the cached MTA-STS policies used in the last day, ahead of
// their expiry. It returns the failures (policies that could not be
// renewed stay in force until they expire).
func (d *Deliverer) RefreshMTASTS(ctx context.Context) error {
	d.sts.mu.Lock()
	clients := make([]*mtasts.Client, 0, len(d.sts.m))
	for _, c := range d.sts.m {
		clients = append(clients, c)
	}
	d.sts.mu.Unlock()
	var errs []error
	for _, c := range clients {
		_, err := c.Refresh(ctx)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// tlsPlan decides, for each MX host of domain, which TLS policy holds.
// A host whose TLSA lookup failed, or that an enforced MTA-STS policy does
// not list, gets a failure instead (it is never used without its policy).
// For the hosts left to the connector's settings, notes say why, for the
// protocol log.
func (d *Deliverer) tlsPlan(ctx context.Context, sc *connector.SendConnector, domain string, hosts []mx.Host) (plans []*hostTLS, fails []*AttemptError, notes []string) {
	r := d.resolverFor(sc)
	plans = make([]*hostTLS, len(hosts))
	fails = make([]*AttemptError, len(hosts))
	notes = make([]string, len(hosts))
	if isTLSReport(ctx) {
		for i := range notes {
			notes[i] = reportNote
		}
		return plans, fails, notes
	}
	daneNotes := make([]string, len(hosts))
	for i, h := range hosts {
		switch {
		case d.opts.noDANE || !sc.DaneEnabled():
			daneNotes[i] = "DANE off"
		case !r.TrustsAD():
			daneNotes[i] = "no DANE: the resolver is not a trusted DNSSEC validator"
		case !h.Secure:
			// RFC 7672 §2.2.1: an insecure MX or address cannot carry DANE
			daneNotes[i] = "no DANE: the MX or address records of " + h.Name + " are not DNSSEC-validated"
		default:
			plans[i], fails[i] = d.danePlan(ctx, r, sc.Port(), domain, h)
			daneNotes[i] = "no DANE: no TLSA records for " + h.Name
		}
	}
	stsNote := "MTA-STS off"
	switch {
	case d.opts.noMTASTS || !sc.MtaStsEnabled():
	case daneDecidedAll(plans, fails):
		// DANE holds every host (RFC 8461 §2): the policy would apply to
		// none, so the TXT query is spared.
	default:
		stsNote = d.stsPlan(ctx, r, domain, hosts, plans, fails)
	}
	for i := range hosts {
		notes[i] = daneNotes[i] + "; " + stsNote
	}
	return plans, fails, notes
}

// daneDecidedAll reports whether DANE held or refused every host.
func daneDecidedAll(plans []*hostTLS, fails []*AttemptError) bool {
	for i := range plans {
		if plans[i] == nil && fails[i] == nil {
			return false
		}
	}
	return true
}

// stsPlan lays the domain's MTA-STS policy over the hosts DANE left
// alone (DANE takes precedence, RFC 8461 §2) and says, for the others,
// why it did not apply.
func (d *Deliverer) stsPlan(ctx context.Context, r *mx.Resolver, domain string, hosts []mx.Host, plans []*hostTLS, fails []*AttemptError) string {
	res := d.stsClient(r).Lookup(ctx, domain)
	note := "no MTA-STS policy for " + domain
	if res.Err != nil {
		var fe *mtasts.FetchError
		kind := tlsrpt.ResultSTSPolicyFetchError
		if errors.As(res.Err, &fe) {
			kind = fe.Kind
		}
		d.opts.tlsrpt.Failure(tlsrpt.Policy{Type: tlsrpt.PolicySTS, Domain: domain}, tlsrpt.Failure{ResultType: kind, Info: res.Err.Error()})
		d.opts.logger.Info("deliver: MTA-STS policy unavailable", "domain", domain, "err", res.Err)
		note = "no MTA-STS policy: " + res.Err.Error()
	}
	p := res.Policy
	if p == nil {
		return note
	}
	kind := PolicyMTASTS
	if p.Mode == mtasts.ModeTesting {
		kind = PolicyMTASTSTesting
	}
	report := tlsrpt.Policy{Type: tlsrpt.PolicySTS, Domain: domain, Strings: policyLines(p.Text), MXHosts: p.MX}
	for i, h := range hosts {
		if plans[i] != nil || fails[i] != nil {
			continue
		}
		if !p.Match(h.Name) && kind == PolicyMTASTS {
			pf := &policyFailure{kind: kind, resultType: tlsrpt.ResultValidationFailure, report: report,
				msg: fmt.Sprintf("%s is not an MX host of the policy of %s (mx: %s)", h.Name, domain, strings.Join(p.MX, ", "))}
			fails[i] = &AttemptError{Host: h.Name, Code: 451, Enhanced: "4.7.5", Err: pf}
			continue
		}
		plans[i] = &hostTLS{kind: kind, domain: domain, host: h.Name, required: kind == PolicyMTASTS, report: report, unlisted: !p.Match(h.Name)}
	}
	return note
}

// danePlan looks up the TLSA records of a secure MX host: at its
// CNAME-expanded name first, then, when none are published there, at the
// name itself (RFC 7672 §2.2.2). The name where records were found is the
// TLSA base domain: the SNI sent, and with the MX host name a name a
// DANE-TA-issued certificate may carry (§3.2.3). No records: no DANE.
func (d *Deliverer) danePlan(ctx context.Context, r *mx.Resolver, port uint16, domain string, h mx.Host) (*hostTLS, *AttemptError) {
	bases := []string{h.Name}
	if h.Expanded != "" {
		bases = []string{h.Expanded, h.Name}
	}
	for _, base := range bases {
		res, err := r.LookupTLSA(ctx, base, port)
		if err != nil {
			pf := &policyFailure{kind: PolicyDANE, resultType: tlsrpt.ResultTLSAInvalid,
				msg: "TLSA lookup for " + base + " failed, so the host cannot be used", err: err,
				report: tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: domain}}
			return nil, &AttemptError{Host: h.Name, Code: 451, Enhanced: "4.7.5", Err: pf}
		}
		if !res.Secure || len(res.Records) == 0 {
			continue
		}
		strs := make([]string, len(res.Records))
		for j, t := range res.Records {
			strs[j] = t.String()
		}
		names := []string{base}
		if base != h.Name {
			names = append(names, h.Name)
		}
		return &hostTLS{kind: PolicyDANE, domain: domain, host: h.Name, names: names, tlsa: dane.Usable(res.Records), required: true,
			tlsaAt: fmt.Sprintf("_%d._tcp.%s", port, base),
			report: tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: domain, Strings: strs}}, nil
	}
	return nil, nil
}

// resolveSmartHost resolves a smart host given by name and decides its
// TLS policy as Postfix's "dane" level does for a relayhost (RFC 7672
// §2.2.3, non-MX destinations): when the connector has DANE on and the
// host's address records are DNSSEC-secure, its TLSA records at
// "_port._tcp.host" (the port actually dialled) hold it to DANE, whose
// verification then also stands for the certificate checks of the
// connector's TLS and AUTH settings. Without such records the connector's
// settings apply alone; MTA-STS never applies to smart hosts. Smart
// hosts' sessions are not counted for TLS-RPT, which reports on
// recipient domains' policies.
// The note says why DANE did not apply, for the protocol log.
func (d *Deliverer) resolveSmartHost(ctx context.Context, sc *connector.SendConnector, name string, port uint16) ([]netip.Addr, *hostTLS, string, *AttemptError) {
	r := d.resolverFor(sc)
	h, err := r.ResolveHost(ctx, name)
	if err != nil {
		code, enh, _ := mx.Status(err)
		return nil, nil, "", &AttemptError{Host: name, Code: code, Enhanced: enh, Err: err}
	}
	switch {
	case isTLSReport(ctx):
		return h.Addrs, nil, reportNote, nil
	case d.opts.noDANE || !sc.DaneEnabled():
		return h.Addrs, nil, "DANE off", nil
	case !r.TrustsAD():
		return h.Addrs, nil, "no DANE: the resolver is not a trusted DNSSEC validator", nil
	case !h.Secure:
		return h.Addrs, nil, "no DANE: the address records of " + h.Name + " are not DNSSEC-validated", nil
	}
	tp, aerr := d.danePlan(ctx, r, port, "", h)
	if aerr != nil {
		aerr.Host = name
	}
	return h.Addrs, tp, fmt.Sprintf("no DANE: no TLSA records at _%d._tcp.%s", port, h.Name), aerr
}

func policyLines(text string) []string {
	var out []string
	for l := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// reportSession counts a finished negotiation with a policy-held host
// over the connection from local to addr ("ip:port" both). In testing
// mode the session went ahead on the connector's settings: its
// certificate is judged here, for the report only.
func (d *Deliverer) reportSession(h *hostTLS, local, addr string, cn *conn, aerr *AttemptError) {
	if h == nil {
		return
	}
	f := tlsrpt.Failure{SendingIP: hostOf(local), ReceivingMX: h.host, ReceivingIP: hostOf(addr)}
	var pf *policyFailure
	switch {
	case aerr != nil && errors.As(aerr.Err, &pf):
		f.ResultType, f.Info = pf.resultType, pf.Error()
	case aerr != nil && errors.Is(aerr.Err, auth.ErrStartTLSRequired):
		f.ResultType, f.Info = tlsrpt.ResultStartTLSNotSupported, aerr.Err.Error()
	case aerr != nil:
		return // not a TLS matter (refused connection, greeting, ...)
	case !cn.tls:
		f.ResultType, f.Info = tlsrpt.ResultStartTLSNotSupported, h.host+" does not offer STARTTLS"
	case h.unlisted:
		f.ResultType, f.Info = tlsrpt.ResultValidationFailure, h.host+" is not an MX host of the policy of "+h.domain
		d.opts.logger.Info("deliver: MTA-STS testing: the policy would have refused the host", "host", h.host, "reason", f.Info)
	case h.kind == PolicyMTASTSTesting:
		if err := h.verify(cn.tlsState, d.opts.roots, time.Now()); err != nil {
			errors.As(err, &pf)
			f.ResultType, f.Info = pf.resultType, pf.Error()
			d.opts.logger.Info("deliver: MTA-STS testing: the policy would have refused the host", "host", h.host, "err", err)
		} else {
			d.opts.tlsrpt.Success(h.report)
			return
		}
	default:
		d.opts.tlsrpt.Success(h.report)
		return
	}
	d.opts.tlsrpt.Failure(h.report, f)
}

func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// reportRefusal counts a host its policy refused before dialling, when
// its turn in the MX list comes (hosts never reached are not reported).
func (d *Deliverer) reportRefusal(aerr *AttemptError) {
	var pf *policyFailure
	if errors.As(aerr.Err, &pf) && pf.report.Domain != "" {
		d.opts.tlsrpt.Failure(pf.report, tlsrpt.Failure{ResultType: pf.resultType, ReceivingMX: aerr.Host, Info: pf.Error()})
	}
}
