package manage

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
)

// Expr is a parsed -Filter: comparisons joined by -and, the subset of OPath
// the reference system's queue cmdlets accept. The zero Expr matches
// everything.
type Expr []Cond

// Cond is one comparison, Property -Op Value.
type Cond struct {
	Property string // as listed to ParseFilter
	Op       string // eq, ne, gt, ge, lt, le, like, notlike
	Value    string
}

var filterOps = []string{"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike"}

const maxFilterConds = 16

// ParseFilter parses a -Filter such as {MessageCount -gt 100 -and Status
// -eq 'Retry'}: properties among props (matched without regard to case),
// the operators -eq -ne -gt -ge -lt -le -like -notlike, values bare or in
// single or double quotes, joined by -and. Braces around the whole are
// optional.
func ParseFilter(s string, props []string) (Expr, error) {
	bad := func(msg string) error { return &InputError{Param: "Filter", Value: s, Msg: msg} }
	toks, err := filterTokens(s)
	if err != nil {
		return nil, bad(err.Error())
	}
	if len(toks) > 0 && toks[0] == "{" {
		if toks[len(toks)-1] != "}" {
			return nil, bad("unbalanced braces")
		}
		toks = toks[1 : len(toks)-1]
	}
	var e Expr
	for len(toks) > 0 {
		if len(toks) < 3 {
			return nil, bad("expected Property -Op Value")
		}
		c := Cond{Value: toks[2]}
		for _, p := range props {
			if strings.EqualFold(p, toks[0]) {
				c.Property = p
			}
		}
		if c.Property == "" {
			return nil, bad("unknown property " + strconv.Quote(toks[0]))
		}
		op := strings.ToLower(strings.TrimPrefix(toks[1], "-"))
		for _, o := range filterOps {
			if op == o && strings.HasPrefix(toks[1], "-") {
				c.Op = o
			}
		}
		if c.Op == "" {
			return nil, bad("unknown operator " + strconv.Quote(toks[1]))
		}
		e = append(e, c)
		if len(e) > maxFilterConds {
			return nil, bad("too many comparisons")
		}
		toks = toks[3:]
		if len(toks) == 0 {
			break
		}
		if !strings.EqualFold(toks[0], "-and") {
			return nil, bad("comparisons are joined by -and only")
		}
		toks = toks[1:]
		if len(toks) == 0 {
			return nil, bad("nothing after -and")
		}
	}
	return e, nil
}

// filterTokens splits s into words, quoted strings (quotes removed) and
// braces.
func filterTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '{' || c == '}':
			toks = append(toks, string(c))
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, errors.New("unterminated quote")
			}
			toks = append(toks, s[i+1:i+1+j])
			i += j + 2
		default:
			j := strings.IndexAny(s[i:], " \t{}'\"")
			if j < 0 {
				j = len(s) - i
			}
			toks = append(toks, s[i:i+j])
			i += j
		}
	}
	return toks, nil
}

// Match reports whether every comparison holds for the property values get
// returns. Numbers compare as numbers, everything else as text without
// regard to case.
func (e Expr) Match(get func(prop string) string) bool {
	for _, c := range e {
		if !c.holds(get(c.Property)) {
			return false
		}
	}
	return true
}

func (c Cond) holds(v string) bool {
	switch c.Op {
	case "like":
		return wildcard(c.Value, v)
	case "notlike":
		return !wildcard(c.Value, v)
	}
	order := strings.Compare(strings.ToLower(v), strings.ToLower(c.Value))
	if a, err := strconv.ParseInt(v, 10, 64); err == nil {
		if b, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			order = cmp.Compare(a, b)
		}
	}
	switch c.Op {
	case "eq":
		return order == 0
	case "ne":
		return order != 0
	case "gt":
		return order > 0
	case "ge":
		return order >= 0
	case "lt":
		return order < 0
	}
	return order <= 0 // le
}
