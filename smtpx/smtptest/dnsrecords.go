package smtptest

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
		return Record{name: canonical(name), err: fmt.Errorf("smtptest: A %s: %q is not an IPv4 address", name, ip)}
	}
	return newRecord(&dns.A{Hdr: header(name, dns.TypeA), A: addr.AsSlice()})
}

// AAAA is an IPv6 address record. ip must be an IPv6 address.
func AAAA(name, ip string) Record {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is6() || addr.Is4In6() {
		return Record{name: canonical(name), err: fmt.Errorf("smtptest: AAAA %s: %q is not an IPv6 address", name, ip)}
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

// Query is one question the fake DNS server received.
type Query struct {
	Name string // fully qualified, lower case
	Type uint16 // dns.TypeMX, dns.TypeA, ...
	Net  string // "udp" or "tcp"
}

// String returns "name TYPE", e.g. "fabrikam.com. MX".
func (q Query) String() string { return q.Name + " " + dns.TypeToString[q.Type] }
