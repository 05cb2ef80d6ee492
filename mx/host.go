package mx

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// LookupHost returns the addresses of a host, for smart hosts given by name:
// A then AAAA records (AAAA unless WithIPv6(false)), CNAMEs followed. An IP
// address or address literal ("192.0.2.1", "[IPv6:2001:db8::1]") is
// returned as is. NXDOMAIN is ErrNoSuchDomain and a name without addresses
// ErrNoAddress, both *PermanentError; the caller decides whether a
// misconfigured smart host bounces or waits. DNS failures are
// *TemporaryError, unless the other address family answered.
func (r *Resolver) LookupHost(ctx context.Context, name string) ([]netip.Addr, error) {
	h, err := r.ResolveHost(ctx, name)
	return h.Addrs, err
}

// ResolveHost is LookupHost for callers that need to know how the
// addresses were found, as DANE for a smart host does (RFC 7672 §2.2.3):
// a Host with the canonical Name, the addresses, Secure when every
// answer (CNAMEs included) was DNSSEC-validated, and the CNAME-expanded
// name. IP addresses and address literals are returned as is, never
// Secure. Errors are those of LookupHost.
func (r *Resolver) ResolveHost(ctx context.Context, name string) (Host, error) {
	if a, ok := parseAddressLiteral(name); ok {
		return Host{Name: name, Addrs: []netip.Addr{a}}, nil
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return Host{Name: name, Addrs: []netip.Addr{a.Unmap()}}, nil
	}
	n, err := normalizeName(name)
	if err != nil {
		return Host{}, &PermanentError{Name: name, Err: err}
	}
	addrs, secure, expanded, err := r.hostAddrs(ctx, n)
	if err != nil {
		return Host{}, err
	}
	return Host{Name: n, Addrs: addrs, Secure: secure, Expanded: expanded}, nil
}

// hostAddrs looks up A and AAAA for a canonical name. Addresses from either
// family win over a failure of the other. secure reports that every answer
// used was validated (a failed family makes the result insecure); expanded
// is the end of the CNAME chain the first answer with addresses came
// through, "" when name owns its addresses.
func (r *Resolver) hostAddrs(ctx context.Context, name string) (addrs []netip.Addr, secure bool, expanded string, err error) {
	types := []uint16{dns.TypeA}
	if r.opts.ipv6 {
		types = append(types, dns.TypeAAAA)
	}
	var (
		temp    error
		nxCount int
	)
	secure = true
	for _, t := range types {
		ans, err := r.lookup(ctx, name, t)
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, "", err
			}
			temp, secure = err, false
			continue
		}
		if ans.nx {
			nxCount++
		}
		secure = secure && ans.secure
		if owner := strings.TrimSuffix(ans.owner, "."); expanded == "" && len(ans.rrs) > 0 && owner != name {
			expanded = owner
		}
		addrs = appendAddrs(addrs, ans.rrs)
	}
	switch {
	case len(addrs) > 0:
		return addrs, secure, expanded, nil
	case temp != nil:
		return nil, false, "", temp
	case nxCount == len(types):
		return nil, false, "", &PermanentError{Name: name, Err: ErrNoSuchDomain}
	default:
		return nil, false, "", &PermanentError{Name: name, Err: ErrNoAddress}
	}
}

// appendAddrs appends the addresses of A/AAAA records, skipping duplicates.
func appendAddrs(dst []netip.Addr, rrs []dns.RR) []netip.Addr {
	for _, rr := range rrs {
		var ip []byte
		switch v := rr.(type) {
		case *dns.A:
			ip = v.A.To4()
		case *dns.AAAA:
			ip = v.AAAA.To16()
		}
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		a = a.Unmap()
		if !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}

// dialTimeout bounds DialContext's connection to one address.
const dialTimeout = 30 * time.Second

// DialContext connects to address ("host:port"), the host resolved by r
// (LookupHost), trying its addresses in order: the dialer of a client
// that must find its server through the same DNS servers as the rest of a
// delivery, as MTA-STS's policy fetch does.
func (r *Resolver) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := r.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: dialTimeout}
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
