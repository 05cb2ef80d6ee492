package addrspace

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse parses one address space, optionally enclosed in double quotes,
// such as `*`, `contoso.com`, `*.contoso.com`, `"SMTP:contoso.com;1"`,
// `"Local:fabrikam.com;3"`, `Local:SMTP:*.contoso.com;3` or
// `X400:o=MySite;p=MyOrg;a=adatum;c=us;5`.
// See the package documentation for the rules. Surrounding white space is
// ignored. Errors are *ParseError.
func Parse(s string) (AddressSpace, error) {
	p := parser{in: s}
	start, end := p.trim(0, len(s))
	if start < end && s[start] == '"' {
		if end-start < 2 || s[end-1] != '"' {
			return AddressSpace{}, p.fail(start, "unterminated quote")
		}
		start, end = start+1, end-1
	}
	return p.item(start, end)
}

// MustParse is like Parse but panics on error. It is meant for constants in
// programs and tests.
func MustParse(s string) AddressSpace {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// ParseList parses a comma-separated list of address spaces, each optionally
// in double quotes: `contoso.com,fabrikam.com` or
// `"contoso.com;2","Local:fabrikam.com;3"`. An item whose value contains a
// comma must be quoted. Empty items and an empty list are errors.
func ParseList(s string) ([]AddressSpace, error) {
	p := parser{in: s}
	var out []AddressSpace
	for pos := 0; ; {
		start, end, next, err := p.nextItem(pos)
		if err != nil {
			return nil, err
		}
		a, err := p.item(start, end)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		if next < 0 {
			return out, nil
		}
		pos = next
	}
}

// parser holds the full input so that every error can point into it.
type parser struct{ in string }

func (p *parser) fail(off int, msg string) *ParseError {
	return &ParseError{Input: p.in, Offset: off, Msg: msg}
}

// trim narrows [start,end) past surrounding white space.
func (p *parser) trim(start, end int) (int, int) {
	for start < end && isSpace(p.in[start]) {
		start++
	}
	for end > start && isSpace(p.in[end-1]) {
		end--
	}
	return start, end
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// nextItem finds the list item starting at pos. It returns the item's body
// (without quotes) and the position after the following comma, or -1 at the
// end of the input.
func (p *parser) nextItem(pos int) (start, end, next int, err error) {
	s := p.in
	start, _ = p.trim(pos, len(s))
	if start < len(s) && s[start] == '"' {
		q := strings.IndexByte(s[start+1:], '"')
		if q < 0 {
			return 0, 0, 0, p.fail(start, "unterminated quote")
		}
		end = start + 1 + q
		after, _ := p.trim(end+1, len(s))
		switch {
		case after == len(s):
			return start + 1, end, -1, nil
		case s[after] == ',':
			return start + 1, end, after + 1, nil
		}
		return 0, 0, 0, p.fail(after, "text after closing quote")
	}
	comma := strings.IndexByte(s[start:], ',')
	if comma < 0 {
		return start, len(s), -1, nil
	}
	return start, start + comma, start + comma + 1, nil
}

// item parses the unquoted body in[start:end] as [Local:][Type:]Space[;Cost].
func (p *parser) item(start, end int) (AddressSpace, error) {
	start, end = p.trim(start, end)
	if start == end {
		return AddressSpace{}, p.fail(start, "empty address space")
	}
	if q := strings.IndexByte(p.in[start:end], '"'); q >= 0 {
		return AddressSpace{}, p.fail(start+q, "unexpected quote")
	}
	a := AddressSpace{Type: SMTP, Cost: DefaultCost}
	pos := start
	if end-pos >= 6 && strings.EqualFold(p.in[pos:pos+6], "Local:") {
		a.Scope = Local
		pos += 6
	}
	if c := strings.IndexByte(p.in[pos:end], ':'); c >= 0 {
		typ := p.in[pos : pos+c]
		if !isTypeToken(typ) {
			return AddressSpace{}, p.fail(pos, "bad address-space type")
		}
		a.Type = strings.ToUpper(typ)
		pos += c + 1
	}
	end, err := p.cost(&a, pos, end)
	if err != nil {
		return AddressSpace{}, err
	}
	if pos == end {
		return AddressSpace{}, p.fail(pos, "empty address space")
	}
	switch a.Type {
	case SMTP:
		a.Value, err = p.smtpValue(pos, end)
	case X400:
		a.Value, err = p.x400Value(pos, end)
	default:
		a.Value, err = p.textValue(pos, end)
	}
	if err != nil {
		return AddressSpace{}, err
	}
	return a, nil
}

// isTypeToken reports whether s is a usable type name: ASCII letters, digits,
// '-' and '_'. Keeping types to a token keeps "host:port" from being read as
// a type and makes the upper-cased form round-trip.
func isTypeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cost reads an optional ";cost" suffix of in[pos:end] into a and returns the
// end of the space. SMTP values never contain ';', so any ';' starts the
// cost; other types keep ';' in the value and must then end with a cost.
func (p *parser) cost(a *AddressSpace, pos, end int) (int, error) {
	semi := strings.LastIndexByte(p.in[pos:end], ';')
	if semi < 0 {
		return end, nil
	}
	semi += pos
	digits := p.in[semi+1 : end]
	if !allDigits(digits) {
		if a.Type == SMTP {
			return 0, p.fail(semi, "bad cost")
		}
		return 0, p.fail(semi, "non-SMTP address space containing ';' must end with ;cost")
	}
	n := 0
	for i := 0; i < len(digits) && n <= MaxCost; i++ {
		n = n*10 + int(digits[i]-'0')
	}
	if n < MinCost || n > MaxCost {
		return 0, p.fail(semi, "cost must be 1 to 100")
	}
	a.Cost = n
	return semi, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// smtpValue validates "*", "*.domain" or "domain".
func (p *parser) smtpValue(pos, end int) (string, error) {
	v := p.in[pos:end]
	if v == "*" {
		return v, nil
	}
	prefix := ""
	if strings.HasPrefix(v, "*.") {
		prefix, pos, v = "*.", pos+2, v[2:]
	}
	if w := strings.IndexByte(v, '*'); w >= 0 {
		return "", p.fail(pos+w, "wildcard must be the whole leftmost label")
	}
	d, off, msg, err := canonDomain(v)
	if msg != "" {
		return "", &ParseError{Input: p.in, Offset: pos + off, Msg: msg, Err: err}
	}
	if prefix == "" {
		return d, nil
	}
	return prefix + d, nil
}

// x400Value validates an RFC 1685 "attr=value;attr=value" space, or "*".
func (p *parser) x400Value(pos, end int) (string, error) {
	v, err := p.textValue(pos, end)
	if err != nil || v == "*" {
		return v, err
	}
	for off := 0; off <= len(v); {
		n := strings.IndexByte(v[off:], ';')
		if n < 0 {
			n = len(v) - off
		}
		attr, val, ok := strings.Cut(v[off:off+n], "=")
		if !ok || strings.TrimSpace(attr) == "" || strings.TrimSpace(val) == "" {
			return "", p.fail(pos+off, "X400 address space needs attr=value pairs")
		}
		off += n + 1
	}
	return v, nil
}

// textValue accepts free text: valid UTF-8 without control characters or
// quotes, not starting or ending with white space (it could not round-trip).
func (p *parser) textValue(pos, end int) (string, error) {
	v := p.in[pos:end]
	for i, r := range v {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return "", p.fail(pos+i, "invalid character in address space")
		}
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return "", p.fail(pos, "address space starts or ends with white space")
	}
	return v, nil
}
