package connectionfilter

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Provider is an IP Block or Allow list provider (Add-IPBlockListProvider):
// a DNS zone listing addresses as A records under their reversed octets.
// Exactly one way of matching is used: AnyMatch, else IPAddressesMatch,
// else BitmaskMatch.
type Provider struct {
	Name         string
	LookupDomain string // zen.spamhaus.org
	// AnyMatch counts any A answer as a listing.
	AnyMatch bool
	// IPAddressesMatch lists the answers that count (127.0.0.2, ...).
	IPAddressesMatch []netip.Addr
	// BitmaskMatch counts an answer sharing a bit with the mask in its
	// last octet (127.0.0.4 matches 127.0.0.5 and 127.0.0.4).
	BitmaskMatch netip.Addr
	// RejectionResponse is the text of the 550 (at most 240 characters);
	// empty gives DefaultProviderResponse. Block list providers only.
	RejectionResponse string
}

// DefaultProviderResponse is the rejection text of a provider without one.
const DefaultProviderResponse = "Recipient not authorized, your IP has been found on a block list"

// maxResponse is the longest RejectionResponse the cmdlets accept.
const maxResponse = 240

func (p Provider) validate() error {
	switch {
	case p.LookupDomain == "" || !dns.IsFqdn(dns.Fqdn(p.LookupDomain)):
		return fmt.Errorf("connectionfilter: provider %q: bad LookupDomain %q", p.Name, p.LookupDomain)
	case !p.AnyMatch && len(p.IPAddressesMatch) == 0 && !p.BitmaskMatch.Is4():
		return fmt.Errorf("connectionfilter: provider %q: no AnyMatch, IPAddressesMatch or BitmaskMatch", p.Name)
	case len(p.RejectionResponse) > maxResponse:
		return fmt.Errorf("connectionfilter: provider %q: RejectionResponse longer than %d characters", p.Name, maxResponse)
	case strings.ContainsAny(p.RejectionResponse, "\r\n"):
		return fmt.Errorf("connectionfilter: provider %q: RejectionResponse has a line break", p.Name)
	}
	return nil
}

// QueryName returns the name to look up for ip under zone:
// "4.3.2.1.zone." for 1.2.3.4, nibbles reversed for IPv6.
func QueryName(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	s := ip.AsSlice()
	for i := len(s) - 1; i >= 0; i-- {
		if ip.Is4() {
			fmt.Fprintf(&b, "%d.", s[i])
		} else {
			fmt.Fprintf(&b, "%x.%x.", s[i]&0xf, s[i]>>4)
		}
	}
	return b.String() + dns.Fqdn(zone)
}

// Match reports whether a provider's answer lists the address, and the
// answer that matched. Only A records of 127.0.0.0/8 owned by name count:
// anything else (a wildcard's public address, an error page's) is not a
// listing.
func (p Provider) Match(name string, answer []dns.RR) (netip.Addr, bool) {
	for _, rr := range answer {
		a, ok := rr.(*dns.A)
		if !ok || !strings.EqualFold(a.Hdr.Name, name) {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.A)
		if !ok || !ip.Unmap().Is4() || ip.Unmap().As4()[0] != 127 {
			continue
		}
		if p.matches(ip.Unmap()) {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func (p Provider) matches(ip netip.Addr) bool {
	switch {
	case p.AnyMatch:
		return true
	case len(p.IPAddressesMatch) > 0:
		for _, m := range p.IPAddressesMatch {
			if m.Unmap() == ip {
				return true
			}
		}
		return false
	default:
		return p.BitmaskMatch.Is4() && ip.As4()[3]&p.BitmaskMatch.As4()[3] != 0
	}
}

// errLookup wraps failed provider queries (logged, not a listing: a DNSBL
// that is down must not stop mail).
var errLookup = errors.New("connectionfilter: provider lookup failed")

// lookup asks the servers for the A records of name; NXDOMAIN and NODATA
// are no answer.
func lookup(ctx context.Context, servers []string, name string) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	var last error
	for _, srv := range servers {
		r, err := exchange(ctx, srv, m)
		if err != nil {
			last = err
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess:
			return r.Answer, nil
		case dns.RcodeNameError:
			return nil, nil
		}
		last = fmt.Errorf("%s: %s", srv, dns.RcodeToString[r.Rcode])
	}
	return nil, fmt.Errorf("%w: %s: %w", errLookup, name, last)
}

// exchange sends m over UDP, retrying over TCP when the answer is
// truncated.
func exchange(ctx context.Context, server string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Timeout: 5 * time.Second}
	if d, ok := ctx.Deadline(); ok {
		c.Timeout = time.Until(d)
	}
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, server)
	}
	return r, err
}
