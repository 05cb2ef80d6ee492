package smtpx

import (
	"strings"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
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
	if err != nil || !wire.ValidLocal(local) {
		return "", "", false, false
	}
	trick = strings.ContainsAny(local, "%!@")
	return wire.QuoteLocal(local) + "@" + domain, domain, trick, true
}

// maxPath is RFC 5321 §4.5.3.1.3's limit on a path, angle brackets
// included.
const maxPath = 256

// canonicalSender reads a MAIL FROM address as wire.ParsePath returns it,
// with exactly one '@' and domain its canonical domain: the local part is
// checked as a recipient's is and re-quoted when it is not a dot-atom (so
// "a b"@fabrikam.com is relayed, and answered by DSN, as it came), and
// the whole path is bounded.
func canonicalSender(from, domain string) (string, bool) {
	local := from[:strings.IndexByte(from, '@')]
	if !wire.ValidLocal(local) {
		return "", false
	}
	addr := wire.QuoteLocal(local) + "@" + domain
	return addr, len(addr)+2 <= maxPath
}
