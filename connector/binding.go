package connector

import (
	"net/netip"
	"strings"
)

// ParseBinding parses a receive-connector binding "IP:port": "10.1.1.1:25",
// "0.0.0.0:25" (every local IPv4 address), "[::]:25" (every local IPv6
// address), "[2001:db8::1]:587". Port 0 is accepted so tests can bind
// 127.0.0.1:0; the listener then picks a free port. Zones and IPv4-mapped
// addresses are refused.
func ParseBinding(s string) (netip.AddrPort, error) {
	fail := func(msg string, err error) (netip.AddrPort, error) {
		return netip.AddrPort{}, &ParseError{What: "binding", Input: s, Msg: msg, Err: err}
	}
	ap, err := netip.ParseAddrPort(strings.TrimSpace(s))
	if err != nil {
		return fail("want IP:port (IPv6 in brackets)", err)
	}
	if ap.Addr().Zone() != "" {
		return fail("zones are not allowed in a binding", nil)
	}
	if ap.Addr().Is4In6() {
		return fail("IPv4-mapped IPv6 address; write the IPv4 form", nil)
	}
	return ap, nil
}

// ParseBindings parses a comma-separated list of bindings.
func ParseBindings(s string) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, f := range strings.Split(s, ",") {
		b, err := ParseBinding(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
