package cmdlet

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/suggest"
)

type pkind uint8

const (
	pValue        pkind = iota // takes a value
	pSwitch                    // -Force, -Confirm:$false
	pUnsupported               // the reference system has it; hubedge refuses it rather than ignore it
	pCreationOnly              // only New- takes it (-Usage on Set-)
)

type pspec struct {
	name string
	kind pkind
}

// common parameters every cmdlet takes; no cmdlet reads them. -Confirm and
// -Force only change whether the shell asks, -DomainController where it
// writes; -WhatIf would mean "change nothing", which a configuration cannot
// honour, so it is refused.
var commonParams = []pspec{
	{"Confirm", pSwitch}, {"Force", pSwitch}, {"DomainController", pValue},
	{"WhatIf", pUnsupported}, {"ErrorAction", pUnsupported},
}

func unsupported(names ...string) []pspec {
	out := make([]pspec, len(names))
	for i, n := range names {
		out[i] = pspec{n, pUnsupported}
	}
	return out
}

// arg is a bound parameter: its value (nil for a switch without one) and
// where it was written.
type arg struct {
	name string
	val  *value
	pos  Pos
}

// invocation is a command with its parameters bound to the cmdlet's.
type invocation struct {
	cmdlet string // canonical name
	pos    Pos
	args   map[string]*arg // by canonical parameter name
}

func (in *invocation) get(name string) *arg { return in.args[name] }
func (in *invocation) has(name string) bool { return in.args[name] != nil }

// resolveParam finds the parameter a (possibly abbreviated) name means:
// an exact match, or the only parameter it is a prefix of.
func resolveParam(specs []pspec, name string) (pspec, []string) {
	var matches []string
	var found pspec
	for _, s := range specs {
		if strings.EqualFold(s.name, name) {
			return s, nil
		}
		if len(name) <= len(s.name) && strings.EqualFold(s.name[:len(name)], name) {
			matches = append(matches, s.name)
			found = s
		}
	}
	if len(matches) == 1 {
		return found, nil
	}
	return pspec{}, matches
}

// closest returns the parameter name nearest to name by edit distance.
func closest(specs []pspec, name string) string {
	best, bestD := "", -1
	for _, s := range specs {
		if s.kind == pUnsupported || s.kind == pCreationOnly {
			continue
		}
		if d := suggest.Distance(name, s.name); bestD < 0 || d < bestD {
			best, bestD = s.name, d
		}
	}
	return best
}

// bind matches a command's parameters and positional arguments to the
// cmdlet's; it reports every fault and returns nil if there was one.
func (e *evaluator) bind(c command, sp *cmdletSpec) *invocation {
	in := &invocation{cmdlet: sp.name, pos: c.pos, args: map[string]*arg{}}
	specs := sp.params
	ok := true
	args := slices.Clone(c.args)
	for _, p := range c.params {
		s, cands := resolveParam(specs, p.name)
		switch {
		case s.name == "" && len(cands) > 1:
			e.fail(p.pos, "ambiguous parameter -%s: it could be -%s", p.name, strings.Join(cands, ", -"))
			ok = false
			continue
		case s.name == "":
			e.fail(p.pos, "unknown parameter -%s (closest: -%s)", p.name, closest(specs, p.name))
			ok = false
			continue
		case s.kind == pUnsupported:
			e.fail(p.pos, "parameter -%s is not supported by hubedge", s.name)
			ok = false
			continue
		case s.kind == pCreationOnly:
			e.fail(p.pos, "-%s is chosen when the connector is created and cannot be changed", s.name)
			ok = false
			continue
		case in.args[s.name] != nil:
			e.fail(p.pos, "parameter -%s is given twice", s.name)
			ok = false
			continue
		}
		a := &arg{name: s.name, val: p.val, pos: p.pos}
		switch {
		case s.kind == pSwitch && p.val != nil && !p.attached:
			// A switch takes no value unless attached with ':'; what
			// follows it is a positional argument.
			args = append(args, *p.val)
			a.val = nil
		case s.kind == pValue && p.val == nil:
			e.fail(p.pos, "parameter -%s needs a value", s.name)
			ok = false
			continue
		}
		if a.val != nil && (!e.noPlaceholders(a.val) || !e.printableName(a)) {
			ok = false
			continue
		}
		in.args[s.name] = a
	}
	for _, v := range args {
		if !e.noPlaceholders(&v) {
			ok = false
			continue
		}
		if sp.positional == "" || in.args[sp.positional] != nil {
			e.fail(v.pos, "unexpected argument %s", describeValue(v))
			ok = false
			continue
		}
		a := &arg{name: sp.positional, val: &v, pos: v.pos}
		if !e.printableName(a) {
			ok = false
			continue
		}
		in.args[sp.positional] = a
	}
	if !ok {
		return nil
	}
	return in
}

// noPlaceholders reports each <placeholder> in v and whether there was none.
func (e *evaluator) noPlaceholders(v *value) bool {
	ok := true
	switch v.kind {
	case valPlaceholder:
		e.fail(v.pos, "placeholder %s must be replaced by a value", v.text)
		return false
	case valList:
		for i := range v.items {
			ok = e.noPlaceholders(&v.items[i]) && ok
		}
	case valHash:
		for i := range v.hash {
			ok = e.noPlaceholders(&v.hash[i].val) && ok
		}
	}
	return ok
}

// printableName reports a -Name or -Identity value holding a control
// character (C0, DEL or C1) and whether it holds none. Such a name, from a
// stray byte or a `0 escape, cannot be told apart from another when it is
// shown or logged; every cmdlet's names are bound here, so one check covers
// them all.
func (e *evaluator) printableName(a *arg) bool {
	v := a.val
	if (a.name != "Name" && a.name != "Identity") || (v.kind != valWord && v.kind != valString) {
		return true
	}
	if i := strings.IndexFunc(v.text, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v.text[i:])
		e.fail(v.pos, "-%s %s holds the control character %U; a name cannot contain control characters", a.name, strconv.Quote(v.text), r)
		return false
	}
	return true
}

func describeValue(v value) string {
	switch v.kind {
	case valVar:
		return "$" + v.text
	case valList:
		return "list " + describeValue(v.items[0]) + ", ..."
	case valHash:
		return "@{...}"
	}
	return quote(v.text)
}

// Typed readers of an argument. Each reports its own error at the value and
// returns ok false.

// text reads a single string value.
func (e *evaluator) text(a *arg) (string, bool) {
	v := a.val
	switch {
	case v == nil:
		e.fail(a.pos, "-%s needs a value", a.name)
	case v.kind == valWord || v.kind == valString:
		return v.text, true
	case v.kind == valVar && strings.EqualFold(v.text, "null"):
		return "", true
	case v.kind == valVar:
		e.badVar(v, a.name)
	default:
		e.fail(v.pos, "-%s takes a single value, not %s", a.name, describeValue(*v))
	}
	return "", false
}

func (e *evaluator) badVar(v *value, param string) {
	if n := strings.ToLower(v.text); n == "true" || n == "false" {
		e.fail(v.pos, "-%s takes a value, not $%s", param, v.text)
		return
	}
	if _, ok := e.vars[strings.ToLower(v.text)]; ok {
		e.fail(v.pos, "$%s holds a credential; -%s cannot take it", v.text, param)
		return
	}
	e.fail(v.pos, "variable $%s is not assigned", v.text)
}

// item is one element of a list argument.
type item struct {
	text string
	pos  Pos
}

// items reads a list (or a single value as a list of one).
func (e *evaluator) items(a *arg) ([]item, bool) {
	v := a.val
	if v == nil {
		e.fail(a.pos, "-%s needs a value", a.name)
		return nil, false
	}
	if v.kind == valHash {
		e.fail(v.pos, "-%s does not take a hash table here", a.name)
		return nil, false
	}
	return e.valueItems(v, a.name)
}

func (e *evaluator) valueItems(v *value, param string) ([]item, bool) {
	vs := []value{*v}
	if v.kind == valList {
		vs = v.items
	}
	out := make([]item, 0, len(vs))
	for i := range vs {
		switch vs[i].kind {
		case valWord, valString:
			out = append(out, item{vs[i].text, vs[i].pos})
		case valVar:
			e.badVar(&vs[i], param)
			return nil, false
		default:
			e.fail(vs[i].pos, "-%s: unexpected %s in a list", param, describeValue(vs[i]))
			return nil, false
		}
	}
	return out, true
}

// joined reads a flag set written as a list or as one comma-separated word
// ("Tls, BasicAuth" or Tls,BasicAuth).
func (e *evaluator) joined(a *arg) (string, bool) {
	its, ok := e.items(a)
	if !ok {
		return "", false
	}
	parts := make([]string, len(its))
	for i, it := range its {
		parts[i] = it.text
	}
	return strings.Join(parts, ","), true
}

// boolean reads $true or $false (or 1 and 0); a switch without a value is
// true.
func (e *evaluator) boolean(a *arg) (bool, bool) {
	v := a.val
	if v == nil {
		return true, true
	}
	if v.kind == valVar {
		switch strings.ToLower(v.text) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		e.badVar(v, a.name)
		return false, false
	}
	if v.kind == valWord {
		switch v.text {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	}
	e.fail(v.pos, "-%s takes $true or $false, not %s", a.name, describeValue(*v))
	return false, false
}

var sizeSuffixes = []struct {
	s string
	m int64
}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}

// parseSize reads "10MB", "512KB", "10 MB", "1048576", "1048576B" and the
// reference system's display form "10 MB (10,485,760 bytes)"; "unlimited"
// gives Unlimited.
func parseSize(s string) (Limit, error) {
	t := strings.TrimSpace(s)
	if i := strings.Index(t, "("); i > 0 && strings.HasSuffix(t, "bytes)") {
		t = strings.TrimSpace(t[:i])
	}
	if strings.EqualFold(t, "unlimited") {
		return Unlimited, nil
	}
	mult := int64(1)
	for _, x := range sizeSuffixes {
		if len(t) > len(x.s) && strings.EqualFold(t[len(t)-len(x.s):], x.s) {
			t, mult = strings.TrimSpace(t[:len(t)-len(x.s)]), x.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q: want bytes or a number with KB, MB, GB or TB, or unlimited", s)
	}
	return Limit(n * mult), nil
}

// size reads a size in bytes within [lo, hi]; unlimited only if allowed.
func (e *evaluator) size(a *arg, lo, hi int64, unlimited bool) (Limit, bool) {
	s, ok := e.text(a)
	if !ok {
		return 0, false
	}
	n, err := parseSize(s)
	switch {
	case err != nil:
		e.fail(a.val.pos, "-%s: %v", a.name, err)
		return 0, false
	case n == Unlimited && !unlimited:
		e.fail(a.val.pos, "-%s cannot be unlimited", a.name)
		return 0, false
	case n != Unlimited && (int64(n) < lo || int64(n) > hi):
		e.fail(a.val.pos, "-%s %s is out of range (%d to %d)", a.name, s, lo, hi)
		return 0, false
	}
	return n, true
}

// integer reads a count within [lo, hi]; size suffixes are allowed, as
// PowerShell reads 1KB as 1024 anywhere.
func (e *evaluator) integer(a *arg, lo, hi int64, unlimited bool) (Limit, bool) {
	return e.size(a, lo, hi, unlimited)
}

// parseSpan reads a time span as the reference system writes it:
// "[-]d.hh:mm:ss[.fffffff]", "hh:mm:ss", "hh:mm", or a whole number of days.
func parseSpan(s string) (time.Duration, error) {
	bad := fmt.Errorf("bad time span %q: want hh:mm:ss or d.hh:mm:ss", s)
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	var days int64
	if !strings.Contains(t, ":") {
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil {
			return 0, bad
		}
		days, t = n, "0:0:0"
	} else if i := strings.IndexByte(t, '.'); i >= 0 && i < strings.IndexByte(t, ':') {
		n, err := strconv.ParseInt(t[:i], 10, 32)
		if err != nil {
			return 0, bad
		}
		days, t = n, t[i+1:]
	}
	f := strings.Split(t, ":")
	if len(f) < 2 || len(f) > 3 {
		return 0, bad
	}
	var frac time.Duration
	if len(f) == 3 {
		if sec, fr, ok := strings.Cut(f[2], "."); ok {
			if fr == "" || len(fr) > 7 {
				return 0, bad
			}
			n, err := strconv.ParseUint(fr, 10, 32)
			if err != nil {
				return 0, bad
			}
			for range 7 - len(fr) {
				n *= 10
			}
			frac = time.Duration(n) * 100 // 100 ns ticks
			f[2] = sec
		}
	}
	limits := []int64{23, 59, 59}
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	d := time.Duration(days) * 24 * time.Hour
	for i, x := range f {
		n, err := strconv.ParseInt(x, 10, 32)
		if err != nil || n < 0 || n > limits[i] || len(x) > 2 {
			return 0, bad
		}
		d += time.Duration(n) * units[i]
	}
	d += frac
	if neg {
		d = -d
	}
	return d, nil
}

// span reads a time span within [lo, hi].
func (e *evaluator) span(a *arg, lo, hi time.Duration) (time.Duration, bool) {
	s, ok := e.text(a)
	if !ok {
		return 0, false
	}
	d, err := parseSpan(s)
	if err != nil {
		e.fail(a.val.pos, "-%s: %v", a.name, err)
		return 0, false
	}
	if d < lo || d > hi {
		e.fail(a.val.pos, "-%s %s is out of range (%s to %s)", a.name, s, FormatSpan(lo), FormatSpan(hi))
		return 0, false
	}
	return d, true
}

// FormatSpan prints a duration as the reference system does: "hh:mm:ss",
// "d.hh:mm:ss" from one day on, with a seven-digit fraction when there is
// one.
func FormatSpan(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		fmt.Fprintf(&b, "%d.", days)
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	fmt.Fprintf(&b, "%02d:%02d:%02d", h, m, s)
	if frac := d % time.Second; frac != 0 {
		fmt.Fprintf(&b, ".%07d", frac/100)
	}
	return b.String()
}

// credential reads -AuthenticationCredential $name.
func (e *evaluator) credential(a *arg) (connector.Credential, string, bool) {
	v := a.val
	if v == nil || v.kind != valVar {
		e.fail(a.pos, "-%s takes a variable assigned with Get-Credential", a.name)
		return connector.Credential{}, "", false
	}
	if strings.EqualFold(v.text, "null") {
		return connector.Credential{}, "", true
	}
	c, ok := e.vars[strings.ToLower(v.text)]
	if !ok {
		e.fail(v.pos, "variable $%s is not assigned; write $%s = Get-Credential before this line", v.text, v.text)
		return connector.Credential{}, "", false
	}
	return c.cred, c.name, true
}

// editList sets a multi-valued property: a plain list replaces it, $null
// empties it, and @{Add=...; Remove=...} changes the current value cur.
func editList[T any](e *evaluator, a *arg, cur []T, parse func(string) (T, error), eq func(T, T) bool) ([]T, bool) {
	if a.val != nil && a.val.kind == valVar && strings.EqualFold(a.val.text, "null") {
		return nil, true
	}
	one := func(it item) (T, bool) {
		x, err := parse(it.text)
		if err != nil {
			e.fail(it.pos, "-%s: bad value %q: %v", a.name, it.text, err)
		}
		return x, err == nil
	}
	if a.val == nil || a.val.kind != valHash {
		its, ok := e.items(a)
		if !ok {
			return nil, false
		}
		out := make([]T, 0, len(its))
		for _, it := range its {
			x, ok1 := one(it)
			ok = ok && ok1
			out = append(out, x)
		}
		return out, ok
	}
	out, ok := slices.Clone(cur), true
	for _, h := range a.val.hash {
		add := strings.EqualFold(h.key, "Add")
		if !add && !strings.EqualFold(h.key, "Remove") {
			e.fail(h.pos, "-%s: a hash table takes Add and Remove, not %s", a.name, h.key)
			ok = false
			continue
		}
		its, ok1 := e.valueItems(&h.val, a.name)
		if !ok1 {
			ok = false
			continue
		}
		for _, it := range its {
			x, ok1 := one(it)
			if !ok1 {
				ok = false
				continue
			}
			i := slices.IndexFunc(out, func(y T) bool { return eq(x, y) })
			switch {
			case add && i < 0:
				out = append(out, x)
			case !add && i >= 0:
				out = slices.Delete(out, i, i+1)
			case !add:
				e.fail(it.pos, "-%s: cannot remove %s, it is not in the list", a.name, it.text)
				ok = false
			}
		}
	}
	return out, ok
}
