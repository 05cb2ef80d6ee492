package mx

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// TLSAResult is the answer to a TLSA query for one mail exchanger.
type TLSAResult struct {
	// Records are the TLSA records at the (CNAME-expanded) name; none when
	// the name or the type does not exist.
	Records []*dns.TLSA
	// Secure reports that the answer, records or their absence, was
	// DNSSEC-validated by a trusted resolver (WithTrustAD). RFC 7672 §2.2:
	// an insecure answer must be treated as if there were no records.
	Secure bool
}

// LookupTLSA queries the TLSA records of an SMTP server, at
// "_port._tcp.host" (RFC 6698 §3, RFC 7672 §2.2.3). NXDOMAIN and NODATA
// are no records, not errors; any other failure (SERVFAIL, which a
// validating resolver answers for bogus data, timeouts) is a
// *TemporaryError, and RFC 7672 §2.2 makes the host unusable then.
func (r *Resolver) LookupTLSA(ctx context.Context, host string, port uint16) (TLSAResult, error) {
	n, err := normalizeName(host)
	if err != nil {
		return TLSAResult{}, &PermanentError{Name: host, Err: err}
	}
	ans, err := r.lookup(ctx, "_"+strconv.Itoa(int(port))+"._tcp."+n, dns.TypeTLSA)
	if err != nil {
		return TLSAResult{}, err
	}
	res := TLSAResult{Secure: ans.secure}
	for _, rr := range ans.rrs {
		if t, ok := rr.(*dns.TLSA); ok {
			res.Records = append(res.Records, t)
		}
	}
	return res, nil
}

// isLoopback reports whether a "host:port" server is on a loopback address.
func isLoopback(server string) bool {
	ap, err := netip.ParseAddrPort(server)
	return err == nil && ap.Addr().IsLoopback()
}

// LookupTXT returns the text records of name, each record's strings
// joined (RFC 7208 §3.3 and RFC 8461 §3.1 read them so). NXDOMAIN and
// NODATA are no records, not errors; other failures are *TemporaryError.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	n, err := normalizeName(name)
	if err != nil {
		return nil, &PermanentError{Name: name, Err: err}
	}
	ans, err := r.lookup(ctx, n, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range ans.rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

// TrustsAD reports whether the Resolver believes its servers' AD bit
// (WithTrustAD), so that Secure results mean something.
func (r *Resolver) TrustsAD() bool { return r.opts.trustAD }
