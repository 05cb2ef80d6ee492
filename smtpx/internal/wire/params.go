package wire

import (
	"bytes"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/hubedge/hubedge/dsn"
)

// Ext is a set of SMTP service extensions a server offers; a MAIL or RCPT
// parameter of an extension not offered is refused (555, RFC 5321
// §4.1.1.11).
type Ext uint16

// The extensions whose parameters ParseMail and ParseRcpt understand.
const (
	ExtSize       Ext = 1 << iota // RFC 1870 SIZE=
	Ext8BitMIME                   // RFC 6152 BODY=7BIT|8BITMIME
	ExtBinaryMIME                 // RFC 3030 BODY=BINARYMIME
	ExtSMTPUTF8                   // RFC 6531 SMTPUTF8
	ExtDSN                        // RFC 3461 RET=, ENVID=, NOTIFY=, ORCPT=
	ExtAuth                       // RFC 4954 AUTH=
	ExtRequireTLS                 // RFC 8689 REQUIRETLS
)

// Body is the BODY= parameter of MAIL.
type Body uint8

// Body types (RFC 6152, RFC 3030).
const (
	BodyUnset Body = iota
	Body7Bit
	Body8BitMIME
	BodyBinaryMIME
)

// Mail is a parsed MAIL command.
type Mail struct {
	From       string // "" for the null reverse-path
	Size       int64  // SIZE=, -1 when absent
	Body       Body
	SMTPUTF8   bool
	RequireTLS bool
	Ret        string // "FULL", "HDRS" or ""
	EnvID      string // ENVID=, xtext-decoded
	Auth       string // AUTH=, xtext-decoded ("<>" when the client sent it)
}

// Rcpt is a parsed RCPT command.
type Rcpt struct {
	To        string
	Notify    string // NOTIFY=, upper-case, validated; "" when absent
	ORCPTType string // ORCPT= address type ("rfc822"), as sent
	ORCPT     string // ORCPT= address, xtext-decoded
}

var (
	errParamSyntax  = newReply(501, 5, 5, 4, "Syntax error in parameters")
	errParamUnknown = newReply(555, 5, 5, 4, "Parameter not recognized or not implemented")
	errParamRepeat  = newReply(501, 5, 5, 4, "Parameter given twice")
	errBadSender    = newReply(501, 5, 1, 7, "Invalid address")
	errBadRecipient = newReply(501, 5, 1, 3, "Invalid recipient address")
)

// ParseMail parses the argument of MAIL ("FROM:<a@b> SIZE=123 ...");
// offered says which extensions' parameters are allowed. Errors are
// *dsn.Reply values.
func ParseMail(arg []byte, offered Ext) (Mail, error) {
	m := Mail{Size: -1}
	arg, ok := cutKeyword(arg, "FROM:")
	if !ok {
		return m, errFromSyntax
	}
	from, rest, err := ParsePath(arg)
	if err != nil {
		return m, errBadSender
	}
	m.From = from
	var seen uint16
	err = eachParam(rest, func(key, val []byte, hasVal bool) error {
		bit, e := mailParam(&m, key, val, hasVal, offered)
		if e != nil {
			return e
		}
		if seen&bit != 0 {
			return errParamRepeat
		}
		seen |= bit
		return nil
	})
	return m, err
}

func mailParam(m *Mail, key, val []byte, hasVal bool, offered Ext) (uint16, error) {
	switch {
	case equalFoldASCII(key, "SIZE") && offered&ExtSize != 0:
		// size-value = 1*20DIGIT (RFC 1870); a value past int64 is
		// still a size, too large for any limit.
		if !hasVal || len(val) == 0 || len(val) > 20 {
			return 0, errParamSyntax
		}
		var n int64
		for _, c := range val {
			if c < '0' || c > '9' {
				return 0, errParamSyntax
			}
			if d := int64(c - '0'); n <= (math.MaxInt64-d)/10 {
				n = n*10 + d
			} else {
				n = math.MaxInt64
			}
		}
		m.Size = n
		return 1, nil
	case equalFoldASCII(key, "BODY") && offered&(Ext8BitMIME|ExtBinaryMIME) != 0:
		switch {
		case !hasVal || len(val) == 0:
			return 0, errParamSyntax
		case equalFoldASCII(val, "7BIT"):
			m.Body = Body7Bit
		case equalFoldASCII(val, "8BITMIME") && offered&Ext8BitMIME != 0:
			m.Body = Body8BitMIME
		case equalFoldASCII(val, "BINARYMIME") && offered&ExtBinaryMIME != 0:
			m.Body = BodyBinaryMIME
		default:
			return 0, errParamUnknown
		}
		return 2, nil
	case equalFoldASCII(key, "SMTPUTF8") && offered&ExtSMTPUTF8 != 0:
		if hasVal {
			return 0, errParamSyntax
		}
		m.SMTPUTF8 = true
		return 4, nil
	case equalFoldASCII(key, "REQUIRETLS") && offered&ExtRequireTLS != 0:
		if hasVal {
			return 0, errParamSyntax
		}
		m.RequireTLS = true
		return 8, nil
	case equalFoldASCII(key, "RET") && offered&ExtDSN != 0:
		switch {
		case equalFoldASCII(val, "FULL"):
			m.Ret = "FULL"
		case equalFoldASCII(val, "HDRS"):
			m.Ret = "HDRS"
		default:
			return 0, errParamSyntax
		}
		return 16, nil
	case equalFoldASCII(key, "ENVID") && offered&ExtDSN != 0:
		v, ok := decodeXtextText(val)
		if !hasVal || !ok || len(val) > 100 { // RFC 3461 §4.4: 100 characters
			return 0, errParamSyntax
		}
		m.EnvID = v
		return 32, nil
	case equalFoldASCII(key, "AUTH") && offered&ExtAuth != 0:
		v, ok := decodeXtextText(val)
		if !hasVal || !ok || len(val) == 0 {
			return 0, errParamSyntax
		}
		m.Auth = v
		return 64, nil
	}
	return 0, errParamUnknown
}

// ParseRcpt parses the argument of RCPT ("TO:<a@b> NOTIFY=... ORCPT=...").
func ParseRcpt(arg []byte, offered Ext) (Rcpt, error) {
	var r Rcpt
	arg, ok := cutKeyword(arg, "TO:")
	if !ok {
		return r, errToSyntax
	}
	to, rest, err := ParsePath(arg)
	if err != nil || to == "" {
		return r, errBadRecipient
	}
	r.To = to
	var seen uint8
	err = eachParam(rest, func(key, val []byte, hasVal bool) error {
		var bit uint8
		switch {
		case equalFoldASCII(key, "NOTIFY") && offered&ExtDSN != 0:
			if !validNotify(val) {
				return errParamSyntax
			}
			r.Notify, bit = strings.ToUpper(string(val)), 1
		case equalFoldASCII(key, "ORCPT") && offered&ExtDSN != 0:
			typ, addr, found := bytes.Cut(val, []byte{';'})
			var v string
			var ok bool
			if equalFoldASCII(typ, "UTF-8") {
				v, ok = decodeUTF8Addr(addr, offered&ExtSMTPUTF8 != 0)
			} else {
				v, ok = decodeXtextText(addr)
			}
			if !found || len(typ) == 0 || !ok || len(addr) == 0 || !isAtom(typ) || len(val) > 500 {
				return errParamSyntax
			}
			r.ORCPTType, r.ORCPT, bit = string(typ), v, 2
		default:
			return errParamUnknown
		}
		if seen&bit != 0 {
			return errParamRepeat
		}
		seen |= bit
		return nil
	})
	return r, err
}

// eachParam calls f for each "KEY[=VALUE]" of a space-separated parameter
// list (RFC 5321 §4.1.2 esmtp-param).
func eachParam(s []byte, f func(key, val []byte, hasVal bool) error) error {
	for len(s) > 0 {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		p := s
		if i := bytes.IndexByte(s, ' '); i >= 0 {
			p, s = s[:i], s[i:]
		} else {
			s = nil
		}
		key, val, hasVal := bytes.Cut(p, []byte{'='})
		if len(key) == 0 || !isKeyword(key) {
			return errParamSyntax
		}
		if err := f(key, val, hasVal); err != nil {
			return err
		}
	}
	return nil
}

// isKeyword: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func isKeyword(b []byte) bool {
	for i, c := range b {
		alnum := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '-') {
			return false
		}
	}
	return true
}

func isAtom(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`()<>@,;:\".[]`), c) >= 0 {
			return false
		}
	}
	return true
}

// validNotify: "NEVER" alone, or a list of SUCCESS, FAILURE, DELAY (RFC
// 3461 §4.1).
func validNotify(v []byte) bool {
	if equalFoldASCII(v, "NEVER") {
		return true
	}
	if len(v) == 0 {
		return false
	}
	for w := range bytes.SplitSeq(v, []byte{','}) {
		if !equalFoldASCII(w, "SUCCESS") && !equalFoldASCII(w, "FAILURE") && !equalFoldASCII(w, "DELAY") {
			return false
		}
	}
	return true
}

// decodeUTF8Addr decodes an ORCPT address of type utf-8 (RFC 6533 §3):
// utf-8-addr-xtext, printable ASCII but "+", "=" and "\" as it is and
// "\x{HEX}" for any other character, or with SMTPUTF8 utf-8-addr-unitext,
// which also carries non-ASCII UTF-8 as it is. As for xtext, a decoded
// control but HTAB is refused.
func decodeUTF8Addr(b []byte, unitext bool) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\':
			r, n, ok := embeddedUnicode(b[i:])
			if !ok || r < ' ' && r != '\t' || r == 0x7f {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			i += n
		case c >= '!' && c <= '~' && c != '+' && c != '=':
			out = append(out, c)
			i++
		case c >= utf8.RuneSelf && unitext:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError {
				return "", false
			}
			out = append(out, b[i:i+n]...)
			i += n
		default:
			return "", false
		}
	}
	return string(out), true
}

// embeddedUnicode reads "\x{HEX}" at the start of b (RFC 6533's
// EmbeddedUnicodeChar: 2 to 6 hex digits, no surrogate, at most
// U+10FFFF) and returns the character and the bytes it took.
func embeddedUnicode(b []byte) (rune, int, bool) {
	if len(b) < 6 || b[1] != 'x' || b[2] != '{' {
		return 0, 0, false
	}
	end := bytes.IndexByte(b[3:], '}')
	if end < 2 || end > 6 {
		return 0, 0, false
	}
	var r rune
	for _, h := range b[3 : 3+end] {
		var d byte
		switch {
		case '0' <= h && h <= '9':
			d = h - '0'
		case 'a' <= h && h <= 'f':
			d = h - 'a' + 10
		case 'A' <= h && h <= 'F':
			d = h - 'A' + 10
		default:
			return 0, 0, false
		}
		r = r<<4 | rune(d)
	}
	if !utf8.ValidRune(r) {
		return 0, 0, false
	}
	return r, 3 + end + 1, true
}

// decodeXtextText decodes the xtext of ENVID, ORCPT and AUTH, whose values
// are text (RFC 3461 §4.2, §4.4; RFC 4954 §5: an addr-spec or "<>"): a
// control but HTAB, such as the CR LF of "+0D+0A", is refused, so that it
// cannot reach a DSN's header fields, a Received field or a log line.
func decodeXtextText(b []byte) (string, bool) {
	v, err := dsn.DecodeXTextStrict(string(b))
	if err != nil {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", false
		}
	}
	return v, true
}
