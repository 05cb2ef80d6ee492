package addrspace

import (
	"strings"

	"golang.org/x/net/idna"
)

// Limits from RFC 1035 section 2.3.4.
const (
	maxLabel  = 63
	maxDomain = 255
)

// CanonicalDomain validates an SMTP domain and returns its canonical form:
// lower-case, without a trailing dot, Unicode labels converted to A-labels.
// Every package that compares recipient domains (routing, connector, smtpx)
// uses it, so that "Contoso.COM.", "contoso.com" and "ｃｏｎｔｏｓｏ.com"
// are one domain.
//
// Domains that are already lower-case ASCII are returned as a substring of
// s without allocating, which keeps routing lookups allocation-free.
//
// Non-ASCII input goes through idna.Lookup, the IDNA2008 profile with UTS #46
// mapping (non-transitional) that RFC 5891 section 5 recommends for names
// being looked up. It is the right profile here because address spaces and
// recipient domains are names typed by people and read off the wire, not
// registrations: case and width are folded instead of rejected, while STD3
// rules, hyphen and bidi checks still refuse what cannot be a host name.
// The A-label result is then held to the same RFC 1035 rules as ASCII input.
// Address literals such as "[192.0.2.1]" are not domains and are rejected.
func CanonicalDomain(s string) (string, error) {
	d, off, msg, err := canonDomain(s)
	if msg != "" {
		return "", &ParseError{Input: s, Offset: off, Msg: msg, Err: err}
	}
	return d, nil
}

// RecipientDomain returns the canonical domain of an SMTP address: the text
// after the last '@', or the whole of address when it has none. Like
// CanonicalDomain it does not allocate for lower-case ASCII input.
func RecipientDomain(address string) (string, error) {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		d, off, msg, err := canonDomain(address[i+1:])
		if msg != "" {
			return "", &ParseError{Input: address, Offset: i + 1 + off, Msg: msg, Err: err}
		}
		return d, nil
	}
	return CanonicalDomain(address)
}

// canonDomain is CanonicalDomain without the error allocation; on failure msg
// is non-empty and off is the byte offset in s.
func canonDomain(s string) (d string, off int, msg string, err error) {
	d = s
	if strings.HasSuffix(d, ".") && len(d) > 1 {
		d = d[:len(d)-1]
	}
	ascii, lower := true, true
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c >= 0x80 {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			lower = false
		}
	}
	switch {
	case !ascii:
		a, ierr := idna.Lookup.ToASCII(d)
		if ierr != nil {
			return "", 0, "bad internationalized domain", ierr
		}
		if strings.HasSuffix(a, ".") && len(a) > 1 { // a mapped full-width dot
			a = a[:len(a)-1]
		}
		if _, m := checkLDH(a); m != "" {
			return "", 0, m + " after IDNA conversion", nil
		}
		return a, 0, "", nil
	case !lower:
		d = strings.ToLower(d)
	}
	if off, msg := checkLDH(d); msg != "" {
		return "", off, msg, nil
	}
	return d, 0, "", nil
}

// checkLDH applies RFC 1035 host-name rules to a lower-case ASCII domain.
// It returns the offset and reason of the first violation, or msg "".
func checkLDH(d string) (off int, msg string) {
	if d == "" {
		return 0, "empty domain"
	}
	if len(d) > maxDomain {
		return maxDomain, "domain longer than 255 characters"
	}
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return i, "invalid character in domain"
			}
			continue
		}
		switch n := i - start; {
		case n == 0:
			return max(start-1, 0), "empty label in domain" // point at the dots
		case n > maxLabel:
			return start, "label longer than 63 characters"
		case d[start] == '-' || d[i-1] == '-':
			return start, "label starts or ends with a hyphen"
		}
		start = i + 1
	}
	return 0, ""
}
