package wire

import "bytes"

var (
	errPathSyntax = newReply(501, 5, 5, 2, "Syntax error in mailbox address")
	errFromSyntax = newReply(501, 5, 5, 2, "Syntax: MAIL FROM:<address> [parameters]")
	errToSyntax   = newReply(501, 5, 5, 2, "Syntax: RCPT TO:<address> [parameters]")
)

// ParsePath reads a reverse- or forward-path at the start of s (RFC 5321
// §4.1.2) and returns the mailbox and what follows it. A source route
// ("<@a,@b:user@c>") is dropped (§4.1.1.3: the last hop is the real
// destination) and a quoted local part is unquoted, so `"a b"@c` becomes
// `a b@c`; callers that write the address again must re-quote. "<>" is the
// empty mailbox. Like Postfix, a path without angle brackets is accepted
// up to the first space.
func ParsePath(s []byte) (mailbox string, rest []byte, err error) {
	if len(s) == 0 {
		return "", nil, errPathSyntax
	}
	if s[0] != '<' {
		end := bytes.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		m := s[:end]
		if len(m) == 0 || bytes.ContainsAny(m, "<>\"") || !printable(m) {
			return "", nil, errPathSyntax
		}
		return string(m), s[end:], nil
	}
	i := 1
	if i < len(s) && s[i] == '@' { // source route: up to the first ':'
		colon := bytes.IndexByte(s, ':')
		if colon < 0 || bytes.IndexByte(s[:colon], '>') >= 0 {
			return "", nil, errPathSyntax
		}
		i = colon + 1
	}
	var local []byte
	quoted := i < len(s) && s[i] == '"'
	if quoted {
		i++
		for ; i < len(s) && s[i] != '"'; i++ {
			c := s[i]
			if c == '\\' {
				if i++; i == len(s) {
					return "", nil, errPathSyntax
				}
				c = s[i]
			}
			if c < ' ' && c != '\t' || c == 0x7f {
				return "", nil, errPathSyntax
			}
			local = append(local, c)
		}
		if i == len(s) {
			return "", nil, errPathSyntax
		}
		i++ // the closing quote
		if i < len(s) && s[i] != '@' && s[i] != '>' {
			return "", nil, errPathSyntax
		}
	}
	end := bytes.IndexByte(s[i:], '>')
	if end < 0 {
		return "", nil, errPathSyntax
	}
	tail := s[i : i+end]
	if !printable(tail) || bytes.ContainsAny(tail, " <\"") {
		return "", nil, errPathSyntax
	}
	rest = s[i+end+1:]
	if len(rest) > 0 && rest[0] != ' ' {
		return "", nil, errPathSyntax
	}
	if i > 1 && len(local) == 0 && len(tail) == 0 {
		return "", nil, errPathSyntax // "<@a:>", `<"">`: not the null path "<>"
	}
	if !quoted {
		return string(tail), rest, nil
	}
	return string(local) + string(tail), rest, nil
}

// printable reports bytes that may appear in an unquoted path: no
// controls. Octets ≥ 0x80 are UTF-8 under SMTPUTF8; validity is the
// caller's (address) check.
func printable(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// cutKeyword removes a case-insensitive keyword such as "FROM:" and the
// spaces after it (RFC 5321 has none; many clients send one).
func cutKeyword(arg []byte, kw string) ([]byte, bool) {
	if !HasPrefixFold(arg, kw) {
		return nil, false
	}
	return bytes.TrimLeft(arg[len(kw):], " "), true
}
