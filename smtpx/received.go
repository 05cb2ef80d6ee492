package smtpx

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/hubedge/hubedge/perms"
)

// Authentication header fields stamped after the header firewall
// in the organization class so that only trusted hops
// can carry them in.
const (
	headerAuthAs        = "X-MS-Exchange-Organization-AuthAs"
	headerAuthSource    = "X-MS-Exchange-Organization-AuthSource"
	headerAuthMechanism = "X-MS-Exchange-Organization-AuthMechanism"
)

// authMechanismCode is the two-digit hex AuthMechanism value. The reference
// system documents no table; 04 (server authentication)
// and 06 (authenticated client submission) are the observed values and are
// used for the same cases here; 03 for Externally Secured sessions is
// hubedge's choice. Anonymous sessions get no AuthMechanism field.
func authMechanismCode(mech string) string {
	switch mech {
	case "ExchangeServer":
		return "04"
	case "PLAIN", "LOGIN":
		return "06"
	case "ExternalAuthoritative":
		return "03"
	}
	return ""
}

// authAs is the AuthAs value: Anonymous, Partner for the Partner Servers
// principal, Internal for every other authenticated session.
func (s *session) authAs() string {
	switch {
	case s.id.Mechanism == "":
		return "Anonymous"
	case s.id.Principal.Equal(perms.PartnerServers):
		return "Partner"
	}
	return "Internal"
}

// appendReceived appends the trace field of RFC 5321 §4.4:
//
//	Received: from <helo> (<rdns> [<ip>])
//		by <connector fqdn> with [UTF8SMTP|ESMTP][S][A] id <id>
//		for <rcpt>; <date>
//
// "with SMTP" after HELO, "with ESMTP" after EHLO (RFC 5321 §4.4), or
// "with UTF8SMTP" for a message sent with SMTPUTF8 (RFC 6531 §3.7.3); "S"
// marks TLS and "A" a SASL login, suffixes RFC 3848 and RFC 6531 define
// for these two only. "for" is written only for a single recipient, so a Received field
// never discloses Bcc recipients.
func (s *session) appendReceived(b []byte, id string, now time.Time) []byte {
	b = append(b, "Received: from "...)
	b = append(b, sanitizeHelo(s.helo)...)
	b = append(b, " ("...)
	if name := s.s.t.reverse(s.c); name != "" {
		b = append(b, name...)
		b = append(b, ' ')
	}
	b = appendAddressLiteral(b, s.c.remote.Addr())
	b = append(b, ")\r\n\tby "...)
	b = append(b, s.s.fqdn...)
	switch {
	case !s.sc.esmtp:
		b = append(b, " with SMTP"...)
	case s.env.SMTPUTF8:
		b = append(b, " with UTF8SMTP"...)
	default:
		b = append(b, " with ESMTP"...)
	}
	if s.sc.esmtp {
		if s.tls != nil {
			b = append(b, 'S')
		}
		if s.user {
			b = append(b, 'A')
		}
	}
	b = append(b, " id "...)
	b = append(b, id...)
	if len(s.env.Recipients) == 1 {
		b = append(b, "\r\n\tfor <"...)
		b = append(b, s.env.Recipients[0].Address...)
		b = append(b, '>')
	}
	b = append(b, "; "...)
	b = now.AppendFormat(b, time.RFC1123Z)
	return append(b, "\r\n"...)
}

// appendAddressLiteral appends an address the way RFC 5321 §4.1.3 writes
// it.
func appendAddressLiteral(b []byte, a netip.Addr) []byte {
	a = a.Unmap()
	if a.Is6() {
		b = append(b, "[IPv6:"...)
	} else {
		b = append(b, '[')
	}
	b = a.AppendTo(b)
	return append(b, ']')
}

// sanitizeHelo keeps the client's HELO name from breaking the field's
// comment syntax.
func sanitizeHelo(h string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("()\\;\"", r) {
			return '?'
		}
		return r
	}, h)
}

// reverse returns the client's host name for Received, looked up once per
// connection with a short timeout, or "" without a resolver.
func (t *Server) reverse(c *conn) string {
	r := t.opts.rdns
	if r == nil {
		return ""
	}
	c.mu.Lock()
	if c.rdnsDone {
		defer c.mu.Unlock()
		return c.rdns
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, 2*time.Second)
	defer cancel()
	names, err := r.LookupAddr(ctx, c.remote.Addr().Unmap().String())
	name := ""
	if err == nil && len(names) > 0 {
		name = sanitizeHelo(strings.TrimSuffix(names[0], "."))
	}
	c.mu.Lock()
	c.rdns, c.rdnsDone = name, true
	c.mu.Unlock()
	return name
}

// authHeaders are the authentication fields in the order they are
// stamped; the index is the one of headerFacts.auth.
var authHeaders = [...]string{headerAuthAs, headerAuthSource, headerAuthMechanism}

// appendSubmissionFields adds to a message a user submitted (a SASL
// logon) the Date and Message-ID fields it lacks, as a submission server
// does (RFC 6409 §8.2, §8.3), and keeps the Message-ID in facts. Mail
// relayed for anyone else is left as it came (RFC 5321 §6.4).
func (s *session) appendSubmissionFields(b []byte, facts *headerFacts, id string, now time.Time) []byte {
	if !s.user {
		return b
	}
	if !facts.date {
		b = append(b, "Date: "...)
		b = now.AppendFormat(b, time.RFC1123Z)
		b = append(b, "\r\n"...)
	}
	if facts.msgID == "" {
		facts.msgID = "<" + id + "@" + s.s.fqdn + ">"
		b = append(b, "Message-ID: "...)
		b = append(b, facts.msgID...)
		b = append(b, "\r\n"...)
	}
	return b
}

// appendAuthFields appends the authentication fields after the firewall
// ran, each only when the message does not already carry it (present, in
// authHeaders order): a trusted hop (one that holds
// Accept-Headers-Organization) keeps its own evaluation, as AuthSource
// names the server that made it.
func (s *session) appendAuthFields(b []byte, present *[len(authHeaders)]bool) []byte {
	for i, v := range [...]string{s.authAs(), s.s.t.opts.serverName, authMechanismCode(s.id.Mechanism)} {
		if v != "" && !present[i] {
			b = append(b, authHeaders[i]...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}
