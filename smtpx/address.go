package smtpx

import (
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

// canonicalRecipient reads a RCPT TO address as wire.ParsePath returns it:
// source routes already dropped (RFC 5321 §4.1.1.3: the last hop is the
// real destination), quoted local parts already unquoted. The domain is
// the text after the last '@' (the one mail would really go to),
// canonicalised with addrspace; address literals are refused.
//
// trick reports a local part that a downstream MTA could read as another
// address: '%' (the "percent hack"), '!' (UUCP bang paths) or an '@' that
// came from a quoted local part ("bob@evil"@contoso.com) or a doubled
// address (a@b@contoso.com). Such recipients are relayed only with
// Accept-Any-Recipient.
//
// addr is local@domain with the local part re-quoted when it is not a
// dot-atom, so it keeps its meaning when written into the next envelope.
func canonicalRecipient(to string) (addr, domain string, trick, ok bool) {
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || at == len(to)-1 {
		return "", "", false, false
	}
	local := to[:at]
	domain, err := addrspace.CanonicalDomain(to[at+1:])
	if err != nil || !validLocal(local) {
		return "", "", false, false
	}
	trick = strings.ContainsAny(local, "%!@")
	return quoteLocal(local) + "@" + domain, domain, trick, true
}

// maxPath is RFC 5321 §4.5.3.1.3's limit on a path, angle brackets
// included.
const maxPath = 256

// validSender applies the recipient's local-part checks to a reverse-path
// that has exactly one '@', and bounds the whole path.
func validSender(from string) bool {
	return len(from)+2 <= maxPath && validLocal(from[:strings.IndexByte(from, '@')])
}

// validLocal refuses control characters and over-long local parts
// (RFC 5321 §4.5.3.1.1: 64 octets).
func validLocal(local string) bool {
	if len(local) == 0 || len(local) > 64 {
		return false
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// quoteLocal returns local unchanged when it is a dot-atom (RFC 5321
// §4.1.2), else as a quoted-string.
func quoteLocal(local string) string {
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
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

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 { // UTF-8 (RFC 6531 atext)
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
