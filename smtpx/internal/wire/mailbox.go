package wire

import "strings"

// IsASCII reports an address that needs no SMTPUTF8. RFC 6531 §3.4: a
// client must use SMTPUTF8 for a non-ASCII address (in the local part or
// as U-labels); a server refuses one that does not, rather than accept it
// and later write it half in U-labels and half in A-labels, and a client
// sends one only to a server that offers SMTPUTF8.
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// MaxLocalPart is RFC 5321 §4.5.3.1.1's limit on a local part, in octets.
const MaxLocalPart = 64

// ValidLocal reports a local part a mailbox may have: 1 to MaxLocalPart
// octets without control characters. ParsePath has already unquoted it;
// octets ≥ 0x80 are UTF-8 under SMTPUTF8.
func ValidLocal(local string) bool {
	if len(local) == 0 || len(local) > MaxLocalPart {
		return false
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// QuoteLocal is the inverse of ParsePath's unquoting: local unchanged when
// it is a dot-atom (RFC 5321 §4.1.2), else a quoted-string, so that
// QuoteLocal(l)+"@"+domain written in a path reads back as l@domain.
func QuoteLocal(local string) string {
	if IsDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.Grow(len(local) + 2)
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if c := local[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	return b.String()
}

// IsDotAtom reports a local part that needs no quoting: atext (RFC 5322
// §3.2.3, UTF-8 under RFC 6531) in dot-separated runs.
func IsDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			continue
		}
		if !isAtext(c) && c != '.' {
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
