package dsn

import (
	"strconv"
	"strings"
)

const hexUpper = "0123456789ABCDEF"

// xchar reports whether c may appear unencoded in xtext (RFC 3461 §4):
// "!" through "~" except "+" and "=".
func xchar(c byte) bool { return c >= '!' && c <= '~' && c != '+' && c != '=' }

// AppendXText appends s encoded as RFC 3461 xtext to dst: every byte
// outside "!".."~", and "+" and "=", becomes "+" and two upper-case hex
// digits. A client writing MAIL and RCPT parameters appends to its
// buffer's free space and allocates nothing.
func AppendXText(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if xchar(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '+', hexUpper[c>>4], hexUpper[c&0xf])
	}
	return dst
}

// EncodeXText returns s encoded as RFC 3461 xtext (see AppendXText).
func EncodeXText(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !xchar(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	return string(AppendXText(make([]byte, 0, len(s)+2*n), s))
}

// DecodeXText decodes RFC 3461 xtext. Lower-case hex digits are accepted,
// as sendmail and Postfix write them in the reports they send; any other
// deviation is a *ParseError.
func DecodeXText(s string) (string, error) { return decodeXText(s, false) }

// DecodeXTextStrict decodes xtext exactly as RFC 3461 §4 defines it: a
// "+" is followed by two upper-case hex digits. A server reading the
// parameters of a client's command applies the grammar as written; the
// client side of hubedge only ever writes upper case.
func DecodeXTextStrict(s string) (string, error) { return decodeXText(s, true) }

func decodeXText(s string, strict bool) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		for i := 0; i < len(s); i++ {
			if !xchar(s[i]) {
				return "", xtextError(s, "invalid character", i)
			}
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			if i+2 >= len(s) {
				return "", xtextError(s, "truncated hexchar", i)
			}
			hi, ok1 := unhex(s[i+1], strict)
			lo, ok2 := unhex(s[i+2], strict)
			if !ok1 || !ok2 {
				return "", xtextError(s, "bad hexchar", i)
			}
			b = append(b, hi<<4|lo)
			i += 2
		case xchar(c):
			b = append(b, c)
		default:
			return "", xtextError(s, "invalid character", i)
		}
	}
	return string(b), nil
}

func xtextError(s, what string, at int) *ParseError {
	return newParseError("xtext", s, what+" at offset "+strconv.Itoa(at))
}

// unhex is the value of a hex digit; upper is the only case when strict.
func unhex(c byte, strict bool) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f' && !strict:
		return c - 'a' + 10, true
	}
	return 0, false
}
