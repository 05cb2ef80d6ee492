package mx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// Host is a next hop for SMTP delivery: an MX target, or the domain itself
// for an implicit MX, with its addresses (A records first, then AAAA, in
// reply order, without duplicates).
type Host struct {
	Name       string // A-label host name without trailing dot, or an address literal
	Preference uint16
	Addrs      []netip.Addr
	// Secure reports that the MX records (or the absence of any, for an
	// implicit MX) and these addresses, with every CNAME that led to them,
	// were all DNSSEC-validated by a trusted resolver (WithTrustAD); only
	// then may DANE be used.
	Secure bool
	// Expanded is the CNAME-expanded form of Name (the end of its CNAME
	// chain, which owns Addrs), "" when Name is not an alias. DANE looks
	// for TLSA records there first (RFC 7672 §2.2.2).
	Expanded string
}

// Resolver finds next hops for SMTP delivery. It is safe for concurrent
// use. The zero value is not usable: build one with New.
type Resolver struct {
	opts    options
	servers []string            // host:port, in order
	local   map[string]struct{} // our own names, canonical form
	randMu  sync.Mutex          // guards opts.rand, which is not goroutine-safe
}

// New builds a Resolver. It fails if a server address or local name is
// malformed, or if the resolv.conf file exists but cannot be parsed.
func New(opts ...Option) (*Resolver, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	r := &Resolver{opts: o, local: make(map[string]struct{})}
	raw := o.servers
	if raw == nil {
		var err error
		if raw, err = serversFromFile(o.resolvConf); err != nil {
			return nil, err
		}
	}
	if len(raw) == 0 {
		return nil, errors.New("mx: no DNS servers given")
	}
	for _, s := range raw {
		addr, err := parseServer(s)
		if err != nil {
			return nil, err
		}
		r.servers = append(r.servers, addr)
		if o.trustAD && !isLoopback(addr) {
			return nil, fmt.Errorf("%w: %s", ErrUntrustedServer, addr)
		}
	}
	for _, n := range o.localNames {
		c, err := normalizeName(n)
		if err != nil {
			return nil, fmt.Errorf("mx: local name: %w", err)
		}
		r.local[c] = struct{}{}
	}
	return r, nil
}

// serversFromFile reads nameserver lines; a missing file or one without
// servers yields 127.0.0.1:53, the glibc and package net default.
func serversFromFile(path string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"127.0.0.1:53"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mx: reading %s: %w", path, err)
	}
	if len(cfg.Servers) == 0 {
		return []string{"127.0.0.1:53"}, nil
	}
	out := make([]string, 0, len(cfg.Servers))
	for _, s := range cfg.Servers {
		a, err := parseServer(s)
		if err != nil {
			return nil, fmt.Errorf("mx: %s: %w", path, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Servers returns the DNS servers queried, in order, as host:port.
func (r *Resolver) Servers() []string { return slices.Clone(r.servers) }

// LookupMX returns the next hops for mail to domain (RFC 5321 §5.1):
//
//   - MX targets by ascending preference, equal preferences shuffled, each
//     with its A/AAAA addresses; targets without addresses are skipped.
//   - No MX records: the implicit MX, the domain itself with preference 0.
//   - A single MX whose target is "." (null MX, RFC 7505): ErrNullMX. A "."
//     among other MX records is ignored.
//   - One of our own names (WithLocalNames) in the list: records with its
//     preference or higher are dropped; ErrLoop if none remain.
//   - NXDOMAIN: ErrNoSuchDomain; nothing with an address: ErrNoAddress.
//   - SERVFAIL, timeouts, network errors, CNAME loops: *TemporaryError.
//
// CNAMEs are followed for the domain and for MX targets (though RFC 2181
// §10.3 forbids the latter), MX targets written as IP addresses are used as
// such, Unicode domains are looked up as A-labels, and an address literal
// such as "[192.0.2.1]" is returned as the only host. Use Reply to map the
// error to SMTP codes.
func (r *Resolver) LookupMX(ctx context.Context, domain string) ([]Host, error) {
	if a, ok := parseAddressLiteral(domain); ok {
		return []Host{{Name: domain, Addrs: []netip.Addr{a}}}, nil
	}
	name, err := normalizeName(domain)
	if err != nil {
		return nil, &PermanentError{Name: domain, Err: err}
	}
	ans, err := r.lookup(ctx, name, dns.TypeMX)
	switch {
	case err != nil:
		return nil, err
	case ans.nx:
		return nil, &PermanentError{Name: name, Err: ErrNoSuchDomain}
	case len(ans.rrs) == 0:
		return r.implicitMX(ctx, name, ans.secure)
	case isNullMX(ans.rrs):
		return nil, &PermanentError{Name: name, Err: ErrNullMX}
	}
	cands, err := r.candidates(name, ans.rrs)
	if err != nil {
		return nil, err
	}
	return r.resolveAll(ctx, name, cands, ans.secure)
}

// implicitMX treats the domain as its own mail exchanger (RFC 5321 §5.1).
// mxSecure says whether the MX NODATA answer was validated.
func (r *Resolver) implicitMX(ctx context.Context, name string, mxSecure bool) ([]Host, error) {
	if _, ok := r.local[name]; ok {
		return nil, &PermanentError{Name: name, Err: ErrLoop}
	}
	addrs, secure, expanded, err := r.hostAddrs(ctx, name)
	if errors.Is(err, ErrNoSuchDomain) {
		// The domain existed a moment ago; report it as addressless.
		err = &PermanentError{Name: name, Err: ErrNoAddress}
	}
	if err != nil {
		return nil, err
	}
	return []Host{{Name: name, Addrs: addrs, Secure: secure && mxSecure, Expanded: expanded}}, nil
}

// candidates turns MX records into hosts sorted by preference with ties
// shuffled, dropping null targets, duplicates and (loop rule) every record
// at or above our own preference.
func (r *Resolver) candidates(domain string, rrs []dns.RR) ([]Host, error) {
	best := make(map[string]uint16)
	for _, rr := range rrs {
		m, ok := rr.(*dns.MX)
		if !ok {
			continue
		}
		target, ok := mxTarget(m.Mx)
		if !ok {
			continue
		}
		if p, ok := best[target]; !ok || m.Preference < p {
			best[target] = m.Preference
		}
	}
	hosts := make([]Host, 0, len(best))
	cut, looped := uint16(0), false
	for name, pref := range best {
		if _, ok := r.local[name]; ok && (!looped || pref < cut) {
			cut, looped = pref, true
		}
		hosts = append(hosts, Host{Name: name, Preference: pref})
	}
	if looped {
		hosts = slices.DeleteFunc(hosts, func(h Host) bool { return h.Preference >= cut })
		if len(hosts) == 0 {
			return nil, &PermanentError{Name: domain, Err: ErrLoop}
		}
	}
	if len(hosts) == 0 { // only "." targets among several records
		return nil, &PermanentError{Name: domain, Err: ErrNoAddress}
	}
	// Sort by name first so that the shuffle, not map order, decides ties.
	slices.SortFunc(hosts, func(a, b Host) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), strings.Compare(a.Name, b.Name))
	})
	r.shuffleTies(hosts)
	return hosts, nil
}

// isNullMX reports a lone MX record with the root as target (RFC 7505 §3).
// Its preference is not checked: any lone "." target is unusable anyway.
func isNullMX(rrs []dns.RR) bool {
	if len(rrs) != 1 {
		return false
	}
	m, ok := rrs[0].(*dns.MX)
	return ok && m.Mx == "."
}

// mxTarget canonicalises an MX exchange name; false for the null target
// "." and for names that cannot be looked up.
func mxTarget(mx string) (string, bool) {
	t := strings.TrimSuffix(mx, ".")
	if t == "" {
		return "", false
	}
	if a, err := netip.ParseAddr(t); err == nil {
		return a.Unmap().String(), true
	}
	n, err := normalizeName(t)
	return n, err == nil
}

// shuffleTies shuffles each run of equal preference (RFC 5321 §5.1: "the
// sender-SMTP MUST randomize them to spread the load").
func (r *Resolver) shuffleTies(hosts []Host) {
	for i := 0; i < len(hosts); {
		j := i + 1
		for j < len(hosts) && hosts[j].Preference == hosts[i].Preference {
			j++
		}
		run := hosts[i:j]
		for k := len(run) - 1; k > 0; k-- {
			n := r.intN(k + 1)
			run[k], run[n] = run[n], run[k]
		}
		i = j
	}
}

func (r *Resolver) intN(n int) int {
	if r.opts.rand == nil {
		return rand.IntN(n)
	}
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.opts.rand.IntN(n)
}

// resolveAll fills in addresses. Hosts without any are skipped; if none is
// left the result is temporary when any lookup failed temporarily. A host
// is Secure when mxSecure and its own address answers are.
func (r *Resolver) resolveAll(ctx context.Context, domain string, hosts []Host, mxSecure bool) ([]Host, error) {
	out := hosts[:0]
	var temp error
	for _, h := range hosts {
		var err error
		secure := false
		if a, perr := netip.ParseAddr(h.Name); perr == nil {
			h.Addrs = []netip.Addr{a} // tolerated: MX written as an IP
		} else {
			h.Addrs, secure, h.Expanded, err = r.hostAddrs(ctx, h.Name)
		}
		h.Secure = secure && mxSecure
		if ctx.Err() != nil {
			return nil, &TemporaryError{Name: h.Name, Type: "A", Err: ctx.Err()}
		}
		var te *TemporaryError
		if errors.As(err, &te) && temp == nil {
			temp = err
		}
		if err == nil {
			out = append(out, h)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	if temp != nil {
		return nil, temp
	}
	return nil, &PermanentError{Name: domain, Err: ErrNoAddress}
}
