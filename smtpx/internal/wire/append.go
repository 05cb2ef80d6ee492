package wire

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hubedge/hubedge/dsn"
)

// ErrLineBreak is returned by AppendMail and AppendRcpt for an address
// holding a CR or LF, which would end the command and start another.
var ErrLineBreak = errors.New("wire: CR or LF in an address")

// AppendMail appends the MAIL command ParseMail reads as m to b:
// "MAIL FROM:<from>", the parameters of m whose extension is in offered
// (SIZE when Size is not negative; ENVID and AUTH in xtext) and CR LF.
func AppendMail(b []byte, m Mail, offered Ext) ([]byte, error) {
	if strings.ContainsAny(m.From, "\r\n") || strings.ContainsAny(m.Ret, "\r\n ") {
		return b, ErrLineBreak
	}
	b = append(b, "MAIL FROM:<"...)
	b = append(b, m.From...)
	b = append(b, '>')
	switch {
	case m.Body == Body7Bit && offered&(Ext8BitMIME|ExtBinaryMIME) != 0:
		b = append(b, " BODY=7BIT"...)
	case m.Body == Body8BitMIME && offered&Ext8BitMIME != 0:
		b = append(b, " BODY=8BITMIME"...)
	case m.Body == BodyBinaryMIME && offered&ExtBinaryMIME != 0:
		b = append(b, " BODY=BINARYMIME"...)
	}
	if m.Size >= 0 && offered&ExtSize != 0 {
		b = append(b, " SIZE="...)
		b = strconv.AppendInt(b, m.Size, 10)
	}
	if m.RequireTLS && offered&ExtRequireTLS != 0 {
		b = append(b, " REQUIRETLS"...)
	}
	if m.SMTPUTF8 && offered&ExtSMTPUTF8 != 0 {
		b = append(b, " SMTPUTF8"...)
	}
	if offered&ExtDSN != 0 {
		if m.Ret != "" {
			b = append(b, " RET="...)
			b = append(b, m.Ret...)
		}
		if m.EnvID != "" {
			b = append(b, " ENVID="...)
			b = dsn.AppendXText(b, m.EnvID)
		}
	}
	if m.Auth != "" && offered&ExtAuth != 0 {
		b = append(b, " AUTH="...)
		b = dsn.AppendXText(b, m.Auth)
	}
	return append(b, '\r', '\n'), nil
}

// AppendRcpt appends the RCPT command ParseRcpt reads as r to b: "RCPT
// TO:<to>", NOTIFY and ORCPT when offered has DSN, and CR LF. The ORCPT
// address is xtext, or for the type utf-8 the RFC 6533 form: "\x{HEX}"
// for what xtext would encode, non-ASCII characters as they are when
// offered has SMTPUTF8; ParseRcpt reads both forms back.
func AppendRcpt(b []byte, r Rcpt, offered Ext) ([]byte, error) {
	if strings.ContainsAny(r.To, "\r\n") || strings.ContainsAny(r.Notify+r.ORCPTType, "\r\n ") {
		return b, ErrLineBreak
	}
	b = append(b, "RCPT TO:<"...)
	b = append(b, r.To...)
	b = append(b, '>')
	if offered&ExtDSN != 0 {
		if r.Notify != "" {
			b = append(b, " NOTIFY="...)
			b = append(b, r.Notify...)
		}
		if r.ORCPTType != "" && r.ORCPT != "" {
			b = append(b, " ORCPT="...)
			b = append(b, r.ORCPTType...)
			b = append(b, ';')
			if strings.EqualFold(r.ORCPTType, "utf-8") {
				b = appendUTF8Addr(b, r.ORCPT, offered&ExtSMTPUTF8 != 0)
			} else {
				b = dsn.AppendXText(b, r.ORCPT)
			}
		}
	}
	return append(b, '\r', '\n'), nil
}

// appendUTF8Addr encodes an address of type utf-8 (RFC 6533 §3):
// printable ASCII but "+" and "=" as it is, other characters as
// "\x{HEX}", except non-ASCII ones with unitext (utf-8-addr-unitext). A
// byte that is not UTF-8 becomes U+FFFD.
func appendUTF8Addr(dst []byte, s string, unitext bool) []byte {
	for _, c := range s {
		switch {
		case c >= '!' && c <= '~' && c != '+' && c != '=':
			dst = append(dst, byte(c))
		case c >= utf8.RuneSelf && c != utf8.RuneError && unitext:
			dst = utf8.AppendRune(dst, c)
		default:
			dst = append(dst, `\x{`...)
			shift := 4
			for c>>(shift+4) != 0 {
				shift += 4
			}
			for ; shift >= 0; shift -= 4 {
				dst = append(dst, "0123456789ABCDEF"[c>>shift&0xf])
			}
			dst = append(dst, '}')
		}
	}
	return dst
}
