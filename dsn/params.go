package dsn

import (
	"strings"
)

// Notify is the RFC 3461 §4.1 NOTIFY parameter of one recipient, a bit set.
// The zero value means the parameter was absent, in which case an MTA
// reports failures and may report delays (see WantFailure, WantDelay).
type Notify uint8

// Notify values. NotifyNever cannot be combined with the others.
const (
	NotifyNever Notify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

var notifyNames = []struct {
	bit  Notify
	name string
}{
	{NotifyNever, "NEVER"},
	{NotifySuccess, "SUCCESS"},
	{NotifyFailure, "FAILURE"},
	{NotifyDelay, "DELAY"},
}

// ParseNotify parses a NOTIFY value such as "SUCCESS,FAILURE" or "never"
// (keywords are case-insensitive, repeats are tolerated). NEVER must stand
// alone.
func ParseNotify(s string) (Notify, error) {
	if s == "" {
		return 0, newParseError("notify", s, "empty value")
	}
	var n Notify
	for kw := range strings.SplitSeq(s, ",") {
		bit := Notify(0)
		for _, nn := range notifyNames {
			if strings.EqualFold(kw, nn.name) {
				bit = nn.bit
				break
			}
		}
		if bit == 0 {
			return 0, newParseError("notify", s, "unknown keyword "+quoteShort(kw))
		}
		n |= bit
	}
	if n&NotifyNever != 0 && n != NotifyNever {
		return 0, newParseError("notify", s, "NEVER combined with other keywords")
	}
	return n, nil
}

// String returns the parameter form, e.g. "SUCCESS,FAILURE"; "" when unset.
func (n Notify) String() string {
	var b strings.Builder
	for _, nn := range notifyNames {
		if n&nn.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(nn.name)
		}
	}
	return b.String()
}

// WantSuccess reports whether a success (delivered/relayed/expanded) DSN is
// requested.
func (n Notify) WantSuccess() bool { return n&NotifySuccess != 0 }

// WantFailure reports whether a failure DSN is due; true when NOTIFY was
// absent (RFC 3461 §4.1: the default is FAILURE or FAILURE,DELAY).
func (n Notify) WantFailure() bool { return n == 0 || n&NotifyFailure != 0 }

// WantDelay reports whether a delay DSN may be sent; true when NOTIFY was
// absent, the default hubedge (like Exchange) applies.
func (n Notify) WantDelay() bool { return n == 0 || n&NotifyDelay != 0 }

// Ret is the RFC 3461 §4.3 RET parameter of MAIL FROM.
type Ret uint8

// Ret values. RetUnset leaves the choice to the reporting MTA; hubedge then
// returns headers only.
const (
	RetUnset Ret = iota
	RetFull
	RetHdrs
)

// ParseRet parses "FULL" or "HDRS", case-insensitively.
func ParseRet(s string) (Ret, error) {
	switch {
	case strings.EqualFold(s, "FULL"):
		return RetFull, nil
	case strings.EqualFold(s, "HDRS"):
		return RetHdrs, nil
	}
	return RetUnset, newParseError("ret", s, "want FULL or HDRS")
}

// String returns "FULL", "HDRS" or "" for RetUnset.
func (r Ret) String() string {
	switch r {
	case RetFull:
		return "FULL"
	case RetHdrs:
		return "HDRS"
	}
	return ""
}

// maxEnvIDLen is the RFC 3461 §4.4 limit on the (encoded) ENVID.
const maxEnvIDLen = 100

// ParseEnvID decodes the xtext ENVID parameter of MAIL FROM (RFC 3461 §4.4),
// which is at most 100 characters and must decode to printable US-ASCII.
func ParseEnvID(s string) (string, error) {
	if s == "" || len(s) > maxEnvIDLen {
		return "", newParseError("envid", s, "length must be 1 to 100")
	}
	id, err := DecodeXText(s)
	if err != nil {
		return "", wrapAs("envid", s, err)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < ' ' || id[i] > '~' {
			return "", newParseError("envid", s, "decodes to a non-printable character")
		}
	}
	return id, nil
}

// ParseORCPT splits and decodes an ORCPT parameter (RFC 3461 §4.2),
// "addr-type;xtext", e.g. "rfc822;bob+2Bsales@example.com" gives
// ("rfc822", "bob+sales@example.com"). The address is not checked against
// the syntax of its type, as §4.2 requires. The type keeps its case.
func ParseORCPT(s string) (addrType, addr string, err error) {
	typ, enc, ok := strings.Cut(s, ";")
	if !ok {
		return "", "", newParseError("orcpt", s, "missing ';' after address type")
	}
	if !isAtom(typ) {
		return "", "", newParseError("orcpt", s, "bad address type")
	}
	if enc == "" {
		return "", "", newParseError("orcpt", s, "empty address")
	}
	addr, err = DecodeXText(enc)
	if err != nil {
		return "", "", wrapAs("orcpt", s, err)
	}
	return typ, addr, nil
}

// FormatORCPT is the inverse of ParseORCPT: addrType + ";" + xtext(addr).
func FormatORCPT(addrType, addr string) string {
	return addrType + ";" + EncodeXText(addr)
}

// wrapAs re-labels an xtext error with the parameter being parsed.
func wrapAs(kind, input string, err error) error {
	pe := newParseError(kind, input, "bad xtext")
	pe.Err = err
	return pe
}

// isAtom reports whether s is a non-empty RFC 5322 atom (atext only).
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || strings.IndexByte(`()<>[]:;@\,."`, c) >= 0 {
			return false
		}
	}
	return true
}

func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return `"` + s + `"`
}
