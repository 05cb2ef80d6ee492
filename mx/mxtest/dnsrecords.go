package mxtest

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// defaultTTL is the TTL of every record the fake DNS serves.
const defaultTTL = 300

// fault is a scripted failure for a name instead of data.
type fault int

const (
	faultNone     fault = iota
	faultServFail       // answer SERVFAIL
	faultTimeout        // never answer
	faultTruncate       // answer UDP with TC set and no records
)

// Record is one entry of the fake DNS server's data: a resource record
// or a scripted fault (ServFail, Timeout) for a name. Build it with the
// constructors below; a malformed argument is reported by NewDNS or
// DNS.Add through TB.Fatalf.
type Record struct {
	name  string // canonical: lower case, fully qualified
	rr    dns.RR // nil for faults
	fault fault
	err   error
}

// String returns the record in zone-file presentation format, or a
// description of the fault.
func (r Record) String() string {
	switch {
	case r.err != nil:
		return "invalid record: " + r.err.Error()
	case r.fault == faultServFail:
		return r.name + " SERVFAIL"
	case r.fault == faultTimeout:
		return r.name + " TIMEOUT"
	case r.fault == faultTruncate:
		return r.name + " TRUNCATE"
	default:
		return r.rr.String()
	}
}

func canonical(name string) string {
	return dns.CanonicalName(strings.TrimSpace(name))
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: canonical(name), Rrtype: rrtype, Class: dns.ClassINET, Ttl: defaultTTL}
}

func newRecord(rr dns.RR) Record {
	return Record{name: rr.Header().Name, rr: rr}
}

// MX is a mail exchanger record for domain with preference pref.
func MX(domain string, pref uint16, host string) Record {
	return newRecord(&dns.MX{Hdr: header(domain, dns.TypeMX), Preference: pref, Mx: canonical(host)})
}

// NullMX is the RFC 7505 "null MX" (preference 0, exchange ".") declaring
// that domain accepts no mail.
func NullMX(domain string) Record { return MX(domain, 0, ".") }

// A is an IPv4 address record. ip must be an IPv4 address.
func A(name, ip string) Record {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return Record{name: canonical(name), err: fmt.Errorf("mxtest: A %s: %q is not an IPv4 address", name, ip)}
	}
	return newRecord(&dns.A{Hdr: header(name, dns.TypeA), A: addr.AsSlice()})
}

// AAAA is an IPv6 address record. ip must be an IPv6 address.
func AAAA(name, ip string) Record {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is6() || addr.Is4In6() {
		return Record{name: canonical(name), err: fmt.Errorf("mxtest: AAAA %s: %q is not an IPv6 address", name, ip)}
	}
	return newRecord(&dns.AAAA{Hdr: header(name, dns.TypeAAAA), AAAA: addr.AsSlice()})
}

// CNAME makes name an alias of target. Answers follow the chain as an
// authoritative server does.
func CNAME(name, target string) Record {
	return newRecord(&dns.CNAME{Hdr: header(name, dns.TypeCNAME), Target: canonical(target)})
}

// TXT is a text record, one string per element of txt.
func TXT(name string, txt ...string) Record {
	return newRecord(&dns.TXT{Hdr: header(name, dns.TypeTXT), Txt: txt})
}

// ServFail makes every query for name answer SERVFAIL (a transient
// failure for resolvers).
func ServFail(name string) Record {
	return Record{name: canonical(name), fault: faultServFail}
}

// Timeout makes every query for name go unanswered, so resolvers time
// out. The query is still recorded in DNS.Queries.
func Timeout(name string) Record {
	return Record{name: canonical(name), fault: faultTimeout}
}

// Truncate makes every UDP answer for name come back truncated (TC set,
// no records), so resolvers must retry over TCP, where name's records
// are served as usual.
func Truncate(name string) Record {
	return Record{name: canonical(name), fault: faultTruncate}
}

// Zone parses records written in zone-file presentation format, one per
// line ("mx1.fabrikam.com. 300 IN A 192.0.2.1"; the TTL and class may be
// left out). Owner names are matched case-insensitively; data such as an
// MX target is served exactly as written, so tests can check that
// resolvers normalise it. A line that does not parse, or parses to a
// record no answer can carry (an owner name whose lower-casing, which
// turns each invalid UTF-8 byte into three, makes a label too long), is
// reported by NewDNS or DNS.Add through TB.Fatalf.
func Zone(lines ...string) []Record {
	out := make([]Record, 0, len(lines))
	for _, line := range lines {
		rr, err := dns.NewRR(line)
		switch {
		case err != nil:
			out = append(out, Record{err: fmt.Errorf("mxtest: zone line %q: %w", line, err)})
		case rr == nil:
			out = append(out, Record{err: fmt.Errorf("mxtest: zone line %q holds no record", line)})
		default:
			rr.Header().Name = canonical(rr.Header().Name)
			if !packs(rr) {
				out = append(out, Record{err: fmt.Errorf("mxtest: zone line %q: not a record an answer can carry", line)})
				continue
			}
			out = append(out, newRecord(rr))
		}
	}
	return out
}

// packs reports whether rr can go into an answer a client can read: it
// packs and unpacks again.
func packs(rr dns.RR) bool {
	buf := make([]byte, dns.Len(rr))
	n, err := dns.PackRR(rr, buf, 0, nil, false)
	if err == nil {
		_, _, err = dns.UnpackRR(buf[:n], 0)
	}
	return err == nil
}

// Query is one question the fake DNS server received.
type Query struct {
	Name string // fully qualified, lower case
	Type uint16 // dns.TypeMX, dns.TypeA, ...
	Net  string // "udp" or "tcp"
}

// String returns "name TYPE", e.g. "fabrikam.com. MX".
func (q Query) String() string { return q.Name + " " + dns.TypeToString[q.Type] }
