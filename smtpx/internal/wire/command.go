package wire

import (
	"bytes"
	"strconv"
	"strings"
)

// Verb is an SMTP command verb.
type Verb uint8

// The verbs a server recognises; Unknown is anything else.
const (
	Unknown Verb = iota
	HELO
	EHLO
	MAIL
	RCPT
	DATA
	BDAT
	RSET
	NOOP
	QUIT
	VRFY
	EXPN
	HELP
	STARTTLS
	AUTH
)

var verbs = [...]string{
	Unknown: "", HELO: "HELO", EHLO: "EHLO", MAIL: "MAIL", RCPT: "RCPT",
	DATA: "DATA", BDAT: "BDAT", RSET: "RSET", NOOP: "NOOP", QUIT: "QUIT",
	VRFY: "VRFY", EXPN: "EXPN", HELP: "HELP", STARTTLS: "STARTTLS", AUTH: "AUTH",
}

func (v Verb) String() string {
	if int(v) < len(verbs) && v != Unknown {
		return verbs[v]
	}
	return "UNKNOWN"
}

// ParseCommand splits a command line into its verb (case-insensitive, RFC
// 5321 §2.4) and the argument after the first space, with surrounding
// spaces removed. It does not allocate.
func ParseCommand(line []byte) (Verb, []byte) {
	word, arg, _ := bytes.Cut(line, []byte{' '})
	arg = bytes.Trim(arg, " ")
	if len(word) < 4 || len(word) > 8 {
		return Unknown, arg
	}
	for v := HELO; v <= AUTH; v++ {
		if len(word) == len(verbs[v]) && equalFoldASCII(word, verbs[v]) {
			return v, arg
		}
	}
	return Unknown, arg
}

// equalFoldASCII compares b with the upper-case ASCII word w.
func equalFoldASCII(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether b starts with the upper-case ASCII word w,
// in any case.
func HasPrefixFold(b []byte, w string) bool {
	return len(b) >= len(w) && equalFoldASCII(b[:len(w)], w)
}

// ParseBDAT reads BDAT's argument "size [LAST]" (RFC 3030): the chunk's
// octet count, whether it is the message's last, and false for anything
// else, after which the chunk cannot be skipped.
func ParseBDAT(arg []byte) (size int64, last, ok bool) {
	n, rest, _ := strings.Cut(string(arg), " ")
	rest = strings.Trim(rest, " ")
	if n == "" || len(n) > 18 || strings.IndexFunc(n, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false, false
	}
	size, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return 0, false, false
	}
	switch {
	case rest == "":
	case strings.EqualFold(rest, "LAST"):
		last = true
	default:
		return 0, false, false
	}
	return size, last, true
}
