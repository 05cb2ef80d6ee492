package connector

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

// SmartHost is one entry of a send connector's SmartHosts: a host name
// (canonical lower-case A-labels) or an IP literal, and an optional port
// (0: the connector's Port).
type SmartHost struct {
	Host string // "mail.contoso.com" or the address without brackets: "192.168.1.1", "2001:db8::1"
	Port uint16 // 0 means the connector's Port
	IsIP bool   // Host is an IP literal
}

// ParseSmartHost parses a smart host as administrators write it:
// "mail.contoso.com", "mail.contoso.com:587", "[192.168.1.1]" (the
// bracketed literal of the reference system), "192.168.1.1",
// "192.168.1.1:587", "[2001:db8::1]:25", "2001:db8::1". Host names are checked and
// canonicalised with addrspace.CanonicalDomain.
func ParseSmartHost(s string) (SmartHost, error) {
	t := strings.TrimSpace(s)
	fail := func(msg string, err error) (SmartHost, error) {
		return SmartHost{}, &ParseError{What: "smart host", Input: s, Msg: msg, Err: err}
	}
	if t == "" {
		return fail("empty", nil)
	}
	if a, err := netip.ParseAddr(t); err == nil { // bare literal, IPv6 included
		return ipSmartHost(a, 0, fail)
	}
	host, port := t, uint16(0)
	if strings.HasPrefix(t, "[") {
		end := strings.IndexByte(t, ']')
		if end < 0 {
			return fail("missing ']'", nil)
		}
		host = t[1:end]
		rest := t[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return fail("unexpected text after ']'", nil)
			}
			p, err := parsePort(rest[1:])
			if err != nil {
				return fail("bad port", err)
			}
			port = p
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return fail("brackets hold an IP literal", err)
		}
		return ipSmartHost(a, port, fail)
	}
	if h, p, err := net.SplitHostPort(t); err == nil {
		if port, err = parsePort(p); err != nil {
			return fail("bad port", err)
		}
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil { // "192.168.1.1:587"
		return ipSmartHost(a, port, fail)
	}
	name, err := addrspace.CanonicalDomain(host)
	if err != nil {
		return fail("bad host name", err)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		// "0.0.0.0." is no host name (an all-numeric top label, RFC 3696
		// §2), and printed without its dot it would read back as a literal.
		return fail("an IP address with a trailing dot", nil)
	}
	return SmartHost{Host: name, Port: port}, nil
}

func ipSmartHost(a netip.Addr, port uint16, fail func(string, error) (SmartHost, error)) (SmartHost, error) {
	if a.Zone() != "" {
		return fail("zones are not allowed", nil)
	}
	if a.Is4In6() {
		return fail("IPv4-mapped IPv6 address; write the IPv4 form", nil)
	}
	return SmartHost{Host: a.String(), Port: port, IsIP: true}, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, strconv.ErrRange
	}
	return uint16(n), nil
}

// MustParseSmartHost is ParseSmartHost that panics on error, for tests and
// package-level values.
func MustParseSmartHost(s string) SmartHost {
	h, err := ParseSmartHost(s)
	if err != nil {
		panic(err)
	}
	return h
}

// ParseSmartHosts parses a comma-separated SmartHosts list
// ("Hub01.contoso.com,Hub02.contoso.com").
func ParseSmartHosts(s string) ([]SmartHost, error) {
	var out []SmartHost
	for _, f := range strings.Split(s, ",") {
		h, err := ParseSmartHost(f)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// String prints the smart host in the reference system's form, IP literals
// in brackets: "mail.contoso.com", "[192.168.1.1]", "[2001:db8::1]:25".
func (h SmartHost) String() string {
	s := h.Host
	if h.IsIP {
		s = "[" + s + "]"
	}
	if h.Port != 0 {
		s += ":" + strconv.Itoa(int(h.Port))
	}
	return s
}

// Addr returns the IP literal, or the zero Addr for a host name.
func (h SmartHost) Addr() netip.Addr {
	if !h.IsIP {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(h.Host)
	return a
}

// Dial returns the "host:port" address to dial, using defaultPort (the
// connector's Port) when the smart host has none.
func (h SmartHost) Dial(defaultPort uint16) string {
	p := h.Port
	if p == 0 {
		p = defaultPort
	}
	return net.JoinHostPort(h.Host, strconv.Itoa(int(p)))
}

// MarshalText implements encoding.TextMarshaler.
func (h SmartHost) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *SmartHost) UnmarshalText(b []byte) error {
	v, err := ParseSmartHost(string(b))
	if err == nil {
		*h = v
	}
	return err
}
