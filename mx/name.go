package mx

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxNameLen is the longest presentation-form name without the trailing dot
// (RFC 1035 §2.3.4: 255 octets on the wire).
const maxNameLen = 253

// idnaProfile maps U-labels to A-labels for lookup (RFC 5891 §5) but,
// unlike idna.Lookup, lets '_' through: it is legal in DNS names and turns
// up in real host names, and rejecting it here would bounce deliverable mail.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.StrictDomainName(false),
)

// normalizeName returns the canonical lookup form of a domain or host name:
// A-labels, lower case, no trailing dot. It rejects empty labels, labels
// over 63 octets, names over 253 octets and characters other than letters,
// digits, '-' and '_'.
func normalizeName(s string) (string, error) {
	in := s
	bad := func(msg string, err error) (string, error) {
		return "", &ParseError{Kind: "domain", Input: in, Msg: msg, Err: err}
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return bad("empty name", nil)
	}
	if len(s) > 4*maxNameLen { // cheap bound before IDNA work on garbage
		return bad("name too long", nil)
	}
	if !utf8.ValidString(s) { // idna would encode U+FFFD, which cannot round-trip
		return bad("invalid UTF-8", nil)
	}
	a, err := idnaProfile.ToASCII(s)
	if err != nil {
		return bad("not a valid internationalized name", err)
	}
	a = strings.ToLower(a)
	if len(a) > maxNameLen {
		return bad("name too long", nil)
	}
	for label := range strings.SplitSeq(a, ".") {
		if label == "" {
			return bad("empty label", nil)
		}
		if len(label) > 63 {
			return bad("label longer than 63 octets", nil)
		}
		for i := 0; i < len(label); i++ {
			if !isNameByte(label[i]) {
				return bad("character "+strconv.QuoteRune(rune(label[i]))+" not allowed", nil)
			}
		}
	}
	return a, nil
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// parseAddressLiteral recognises an RFC 5321 §4.1.3 address literal:
// "[192.0.2.1]" or "[IPv6:2001:db8::1]".
func parseAddressLiteral(s string) (netip.Addr, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return netip.Addr{}, false
	}
	inner := s[1 : len(s)-1]
	v6 := len(inner) >= 5 && strings.EqualFold(inner[:5], "IPv6:")
	if v6 {
		inner = inner[5:]
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || a.Zone() != "" || a.Is6() != v6 || a.Is4In6() {
		return netip.Addr{}, false
	}
	return a, true
}

// parseServer canonicalises a DNS server address: an IP literal with an
// optional port ("192.0.2.53", "192.0.2.53:5353", "2001:db8::53",
// "[2001:db8::53]:53", "fe80::1%eth0") becomes host:port, port 53 by
// default. Host names are refused: resolving the resolver needs a resolver.
func parseServer(s string) (string, error) {
	bad := func(msg string) (string, error) {
		return "", &ParseError{Kind: "server", Input: s, Msg: msg}
	}
	ap, err := netip.ParseAddrPort(s)
	if a, aerr := netip.ParseAddr(s); aerr == nil {
		ap, err = netip.AddrPortFrom(a, 53), nil
	}
	if err != nil {
		return bad("want an IP address with optional port")
	}
	if ap.Port() == 0 {
		return bad("port 0")
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(), nil
}
