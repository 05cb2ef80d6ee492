package connector

import (
	"net/netip"
	"strings"
)

type rangeForm uint8

const (
	formSingle rangeForm = iota + 1 // 192.168.1.1
	formSpan                        // 192.168.1.1-192.168.1.254
	formCIDR                        // 192.168.1.0/24
)

// IPRange is one entry of a receive connector's RemoteIPRanges: a single
// address, an inclusive range "a-b", or a CIDR prefix, IPv4 or IPv6. It is a
// comparable value; the zero IPRange is invalid. The form the range was
// written in is kept so that String round-trips; Equal compares only the
// addresses covered.
//
// An IPv6 zone (fe80::1%11) is kept for display but not used for matching:
// connectors match on the address.
type IPRange struct {
	from, to netip.Addr
	bits     int16 // prefix length for formCIDR
	form     rangeForm
}

// AllIPv4 is 0.0.0.0-255.255.255.255, the remote range of an Internet-usage
// receive connector.
var AllIPv4 = IPRange{
	from: netip.IPv4Unspecified(),
	to:   netip.AddrFrom4([4]byte{255, 255, 255, 255}),
	form: formSpan,
}

// AllIPv6 is ::/0.
var AllIPv6 = IPRange{from: netip.IPv6Unspecified(), to: hostMask(128).addr(false), form: formCIDR}

// ParseIPRange parses "192.168.1.1", "fe80::1%11", "192.168.1.1-192.168.1.254"
// (spaces around '-' allowed), "192.168.1.1/24" or "2001:db8::cd3/60" (host
// bits are cleared). Both ends of a range must be the same family and in
// order. IPv4-mapped IPv6 addresses are refused: write the IPv4 form.
func ParseIPRange(s string) (IPRange, error) {
	t := strings.TrimSpace(s)
	fail := func(msg string, err error) (IPRange, error) {
		return IPRange{}, &ParseError{What: "IP range", Input: s, Msg: msg, Err: err}
	}
	if t == "" {
		return fail("empty", nil)
	}
	if strings.IndexByte(t, '/') >= 0 {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return fail("bad CIDR prefix", err)
		}
		if p.Addr().Is4In6() {
			return fail("IPv4-mapped IPv6 address; write the IPv4 form", nil)
		}
		return IPRangeFromPrefix(p), nil
	}
	if strings.IndexByte(t, '%') < 0 { // a zone may itself contain '-'
		if a, b, ok := strings.Cut(t, "-"); ok {
			from, err := netip.ParseAddr(strings.TrimSpace(a))
			if err != nil {
				return fail("bad start address", err)
			}
			to, err := netip.ParseAddr(strings.TrimSpace(b))
			if err != nil {
				return fail("bad end address", err)
			}
			r, msg := spanOf(from, to)
			if msg != "" {
				return fail(msg, nil)
			}
			return r, nil
		}
	}
	a, err := netip.ParseAddr(t)
	if err != nil {
		return fail("bad address", err)
	}
	if a.Is4In6() {
		return fail("IPv4-mapped IPv6 address; write the IPv4 form", nil)
	}
	if strings.ContainsAny(a.Zone(), ":%/ ") { // an interface name, not a range
		return fail("bad zone", nil)
	}
	return IPRangeFromAddr(a), nil
}

// MustParseIPRange is ParseIPRange that panics on error, for tests and
// package-level values.
func MustParseIPRange(s string) IPRange {
	r, err := ParseIPRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

// ParseIPRanges parses a comma-separated list, as RemoteIPRanges is written
// ("192.168.5.10,192.168.5.20").
func ParseIPRanges(s string) ([]IPRange, error) {
	var out []IPRange
	for _, f := range strings.Split(s, ",") {
		r, err := ParseIPRange(f)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func spanOf(from, to netip.Addr) (IPRange, string) {
	switch {
	case !from.IsValid() || !to.IsValid():
		return IPRange{}, "invalid address"
	case from.Zone() != "" || to.Zone() != "":
		return IPRange{}, "zones are not allowed in a range"
	case from.Is4In6() || to.Is4In6():
		return IPRange{}, "IPv4-mapped IPv6 address; write the IPv4 form"
	case from.Is4() != to.Is4():
		return IPRange{}, "range mixes IPv4 and IPv6"
	case to.Less(from):
		return IPRange{}, "range end is before its start"
	}
	return IPRange{from: from, to: to, form: formSpan}, ""
}

// IPRangeFromAddr returns the range holding the single address a.
func IPRangeFromAddr(a netip.Addr) IPRange {
	return IPRange{from: a, to: a, form: formSingle}
}

// IPRangeFromPrefix returns the range covered by p (host bits cleared).
func IPRangeFromPrefix(p netip.Prefix) IPRange {
	p = p.Masked()
	a := p.Addr()
	total := 128
	if a.Is4() {
		total = 32
	}
	last := u128Of(a).or(hostMask(total - p.Bits())).addr(a.Is4())
	return IPRange{from: a, to: last, bits: int16(p.Bits()), form: formCIDR}
}

// IPRangeFromTo returns the inclusive range from-to, which must be one
// family (no zones) and in order.
func IPRangeFromTo(from, to netip.Addr) (IPRange, error) {
	r, msg := spanOf(from, to)
	if msg != "" {
		return IPRange{}, &ParseError{What: "IP range", Input: from.String() + "-" + to.String(), Msg: msg}
	}
	return r, nil
}

// IsValid reports whether r is a parsed range (not the zero value).
func (r IPRange) IsValid() bool { return r.form != 0 }

// From returns the first address of the range.
func (r IPRange) From() netip.Addr { return r.from }

// To returns the last address of the range.
func (r IPRange) To() netip.Addr { return r.to }

// Is4 reports whether r is an IPv4 range.
func (r IPRange) Is4() bool { return r.from.Is4() }

// Contains reports whether a (IPv4-mapped addresses are unmapped first)
// lies in r. Zones are ignored.
func (r IPRange) Contains(a netip.Addr) bool {
	if !r.IsValid() || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if a.Is4() != r.Is4() {
		return false
	}
	x := u128Of(a)
	return u128Of(r.from).cmp(x) <= 0 && x.cmp(u128Of(r.to)) <= 0
}

// ContainsRange reports whether every address of o lies in r.
func (r IPRange) ContainsRange(o IPRange) bool {
	return r.IsValid() && o.IsValid() && r.Is4() == o.Is4() &&
		u128Of(r.from).cmp(u128Of(o.from)) <= 0 && u128Of(o.to).cmp(u128Of(r.to)) <= 0
}

// Overlaps reports whether r and o share at least one address.
func (r IPRange) Overlaps(o IPRange) bool {
	return r.IsValid() && o.IsValid() && r.Is4() == o.Is4() &&
		u128Of(r.from).cmp(u128Of(o.to)) <= 0 && u128Of(o.from).cmp(u128Of(r.to)) <= 0
}

// Equal reports whether r and o cover the same addresses, whatever form
// they were written in (192.168.1.0/24 equals 192.168.1.0-192.168.1.255).
func (r IPRange) Equal(o IPRange) bool {
	return r.IsValid() == o.IsValid() && r.Is4() == o.Is4() &&
		u128Of(r.from) == u128Of(o.from) && u128Of(r.to) == u128Of(o.to)
}

// CompareSize orders ranges by specificity: it returns -1 when r holds
// fewer addresses than o (r is more specific), +1 when more, 0 when the
// same number. A single address is the most specific range.
func (r IPRange) CompareSize(o IPRange) int {
	return r.span().cmp(o.span())
}

// span is the number of addresses minus one (fits 128 bits for ::/0).
func (r IPRange) span() u128 { return u128Of(r.to).sub(u128Of(r.from)) }

// String prints the range in the form it was written, canonicalised:
// "192.168.1.1", "10.0.0.1-10.0.0.9", "192.168.1.0/24", "fe80::1%11".
func (r IPRange) String() string {
	switch r.form {
	case formSingle:
		return r.from.String()
	case formSpan:
		return r.from.String() + "-" + r.to.String()
	case formCIDR:
		return netip.PrefixFrom(r.from, int(r.bits)).String()
	}
	return "invalid IPRange"
}

// MarshalText implements encoding.TextMarshaler.
func (r IPRange) MarshalText() ([]byte, error) {
	if !r.IsValid() {
		return []byte{}, nil
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *IPRange) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = IPRange{}
		return nil
	}
	v, err := ParseIPRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
