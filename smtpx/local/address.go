package local

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubedge/hubedge/addrspace"
)

// maxLocalPart is the RFC 5321 section 4.5.3.1.1 limit, in octets.
const maxLocalPart = 64

// CanonicalAddress returns the canonical form of a mailbox address,
// "localpart@domain": the domain lower-cased without a trailing dot and
// with Unicode labels as A-labels (addrspace.CanonicalDomain), the local
// part lower-cased. Mailbox addresses are treated case-insensitively, as
// the reference system and most mailbox servers do, even though RFC 5321
// leaves local-part case to the receiving host.
//
// A quoted local part is taken unquoted ("bob"@x and bob@x are one
// mailbox). Because the local part names a directory, CanonicalAddress
// refuses with an *AddressError (wrapping ErrBadAddress) what could escape
// it or is unsafe in a file name: an empty local part, one over 64 octets,
// invalid UTF-8, '/', '\\', NUL and other control characters, "..", a
// leading or trailing '.' and a malformed quoted string. Domain literals
// ("[192.0.2.1]") are refused too: they never belong to an accepted
// domain.
func CanonicalAddress(addr string) (string, error) {
	local, domain, err := canonicalParts(addr)
	if err != nil {
		return "", err
	}
	return local + "@" + domain, nil
}

// canonicalParts is CanonicalAddress returning the two halves.
func canonicalParts(addr string) (local, domain string, err error) {
	l, d, ok := splitAddress(addr)
	if !ok {
		return "", "", &AddressError{Address: addr, Reason: "no domain"}
	}
	if strings.HasPrefix(l, `"`) {
		// "bob" and bob are one mailbox (RFC 5321 §4.1.2); judged
		// unquoted, ".hidden" cannot name a hidden directory.
		if l, ok = unquote(l); !ok {
			return "", "", &AddressError{Address: addr, Reason: "malformed quoted local part"}
		}
	}
	if reason := checkLocal(l); reason != "" {
		return "", "", &AddressError{Address: addr, Reason: reason}
	}
	domain, derr := addrspace.CanonicalDomain(d)
	if derr != nil {
		return "", "", &AddressError{Address: addr, Reason: "bad domain"}
	}
	local = strings.ToLower(l)
	// Lower-casing can change the length or, for odd code points, produce
	// text that no longer passes: check the result too.
	if reason := checkLocal(local); reason != "" {
		return "", "", &AddressError{Address: addr, Reason: reason}
	}
	return local, domain, nil
}

// unquote returns the text of a quoted-string local part; false when it
// is malformed or holds a '"', which would read as another quoted string
// next time.
func unquote(q string) (string, bool) {
	if len(q) < 2 || q[len(q)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(q)-1; i++ {
		c := q[i]
		if c == '\\' {
			if i++; i == len(q)-1 {
				return "", false
			}
			c = q[i]
		}
		if c == '"' {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// checkLocal returns why l cannot be a mailbox directory name, or "".
func checkLocal(l string) string {
	switch {
	case l == "":
		return "empty local part"
	case len(l) > maxLocalPart:
		return "local part too long"
	case !utf8.ValidString(l):
		return "invalid UTF-8"
	case strings.Contains(l, ".."):
		return `".." in local part`
	case l[0] == '.' || l[len(l)-1] == '.':
		return "local part starts or ends with '.'"
	}
	for _, r := range l {
		switch {
		case r == '/' || r == '\\':
			return "path separator in local part"
		case r == 0 || unicode.IsControl(r):
			return "control character in local part"
		}
	}
	return ""
}
