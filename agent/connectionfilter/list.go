package connectionfilter

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Entry is one IP Allow or Block list entry (Add-IPBlockListEntry
// -IPAddress or -IPRange, -ExpirationTime, -Comment).
type Entry struct {
	First, Last netip.Addr // inclusive range; equal for one address
	// Expires is when the entry stops applying; zero never.
	Expires time.Time
	Comment string
	// Machine marks entries added by software (sender reputation) rather
	// than by an administrator; they get MachineEntryRejectionResponse.
	Machine bool
}

// ErrBadRange is wrapped by ParseRange errors.
var ErrBadRange = errors.New("connectionfilter: bad IP address or range")

// ParseRange reads an entry's address part in any of the forms the
// cmdlets accept: "192.0.2.1", "192.0.2.0/24", "192.0.2.10-192.0.2.20"
// (IPv6 alike). Both ends of a range must be of the same family and in
// order.
func ParseRange(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (Entry, error) {
		return Entry{}, fmt.Errorf("%w %q: %s", ErrBadRange, s, why)
	}
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(first))
		b, err2 := netip.ParseAddr(strings.TrimSpace(last))
		switch {
		case err1 != nil || err2 != nil:
			return bad("not two addresses")
		case a.Is4() != b.Is4():
			return bad("ends of different families")
		case b.Less(a):
			return bad("ends out of order")
		}
		return Entry{First: a.Unmap(), Last: b.Unmap()}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return bad("not a CIDR prefix")
		}
		return Entry{First: p.Masked().Addr(), Last: lastOf(p)}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return bad("not an address")
	}
	return Entry{First: a.Unmap(), Last: a.Unmap()}, nil
}

// lastOf returns the highest address of p.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// String prints the entry's address part as ParseRange reads it.
func (e Entry) String() string {
	if e.First == e.Last {
		return e.First.String()
	}
	return e.First.String() + "-" + e.Last.String()
}

// Contains reports whether ip is in the entry's range.
func (e Entry) Contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	return e.First.BitLen() == ip.BitLen() && !ip.Less(e.First) && !e.Last.Less(ip)
}

// active reports whether the entry applies at now.
func (e Entry) active(now time.Time) bool { return e.Expires.IsZero() || now.Before(e.Expires) }

// find returns the first active entry containing ip.
func find(list []Entry, ip netip.Addr, now time.Time) (Entry, bool) {
	for _, e := range list {
		if e.active(now) && e.Contains(ip) {
			return e, true
		}
	}
	return Entry{}, false
}
