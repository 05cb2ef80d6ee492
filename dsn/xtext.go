package dsn

import (
	"strconv"
	"strings"
)

const hexUpper = "0123456789ABCDEF"

// xchar reports whether c may appear unencoded in xtext (RFC 3461 §4):
// "!" through "~" except "+" and "=".
func xchar(c byte) bool { return c >= '!' && c <= '~' && c != '+' && c != '=' }

// EncodeXText encodes s as RFC 3461 xtext: every byte outside "!".."~",
// and "+" and "=", becomes "+" and two upper-case hex digits.
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
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if xchar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('+')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&0xf])
	}
	return b.String()
}

// DecodeXText decodes RFC 3461 xtext. Lower-case hex digits are accepted,
// as sendmail and Postfix do; any other deviation is a *ParseError.
func DecodeXText(s string) (string, error) {
	if strings.IndexByte(s, '+') < 0 {
		for i := 0; i < len(s); i++ {
			if !xchar(s[i]) {
				return "", newParseError("xtext", s, "invalid character at offset "+strconv.Itoa(i))
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
				return "", newParseError("xtext", s, "truncated hexchar at offset "+strconv.Itoa(i))
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", newParseError("xtext", s, "bad hexchar at offset "+strconv.Itoa(i))
			}
			b = append(b, hi<<4|lo)
			i += 2
		case xchar(c):
			b = append(b, c)
		default:
			return "", newParseError("xtext", s, "invalid character at offset "+strconv.Itoa(i))
		}
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
