package cmdlet

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/suggest"
)

// Options say where a script runs.
type Options struct {
	// Edge builds connectors with the Edge Transport role's defaults.
	Edge bool
	// Server is the name the server runs as. A Set-TransportServer for
	// another server is checked but not applied. Connectors of other
	// servers are kept; see Config.ForServer.
	Server string
	// Credentials resolve `$name = Get-Credential`. Without them a
	// credential's user name is the variable ("$mycred"), which is enough
	// to check and show a script but not to log on to a smart host.
	Credentials Credentials
}

// Load parses a script and applies it to base (nil: NewConfig(opts.Edge)).
func Load(file string, src []byte, base *Config, opts Options) (*Config, error) {
	s, err := Parse(file, src)
	if err != nil {
		return nil, err
	}
	return s.Apply(base, opts)
}

// Apply runs the script's cmdlets, in order, on a copy of base (nil:
// NewConfig(opts.Edge)) and returns the result. A script applies whole or
// not at all: on any error Apply returns nil and an ErrorList of every
// fault it found.
func (s *Script) Apply(base *Config, opts Options) (*Config, error) {
	if base == nil {
		base = NewConfig(opts.Edge)
	}
	e := &evaluator{cfg: base.clone(), opts: opts, vars: map[string]credVar{}, failed: map[string]bool{},
		where: map[string]*invocation{}}
	for _, st := range s.stmts {
		e.statement(st)
	}
	e.checkSets()
	if err := e.errs.err(); err != nil {
		return nil, err
	}
	return e.cfg, nil
}

type credVar struct {
	name string
	cred connector.Credential
}

type evaluator struct {
	cfg    *Config
	opts   Options
	errs   ErrorList
	cur    string // the cmdlet being run, for error messages
	vars   map[string]credVar
	failed map[string]bool        // identities whose New- failed: later uses are not reported again
	where  map[string]*invocation // receive connector (lower-case name) → the command that last set it

	sendNames map[string]int // lower-case name → index in cfg.SendConnectors; nil when stale
}

func (e *evaluator) fail(p Pos, format string, args ...any) { e.errs.add(p, e.cur, format, args...) }

// target is an object a Get- cmdlet hands down a pipeline.
type target struct {
	kind objKind
	name string
}

type objKind uint8

const (
	objNone objKind = iota
	objSend
	objReceive
	objDomain
)

func (k objKind) String() string {
	return [...]string{"", "send connector", "receive connector", "accepted domain"}[k]
}

// cmdletSpec describes one cmdlet: its parameters, the parameter a
// positional argument binds to, and what it does. run is called once, or
// once per object piped in (t.kind != objNone).
type cmdletSpec struct {
	name       string
	params     []pspec
	positional string
	// input is the kind of object the cmdlet takes from a pipeline, or
	// objNone; inputAny takes connectors of either kind.
	input    objKind
	inputAny bool
	// output is the kind a Get- cmdlet produces for a pipeline.
	output objKind
	run    func(e *evaluator, in *invocation, t target) []target
}

// lookupCmdlet finds a cmdlet case-insensitively; a script path
// (.\Enable-CrossForestConnector.ps1) names the cmdlet of the same name.
func lookupCmdlet(name string) *cmdletSpec {
	n := strings.TrimPrefix(strings.TrimPrefix(name, `.\`), "./")
	if len(n) > 4 && strings.EqualFold(n[len(n)-4:], ".ps1") {
		n = n[:len(n)-4]
	}
	return cmdlets[strings.ToLower(n)]
}

var cmdlets = map[string]*cmdletSpec{}

// register adds cmdlets; each takes the common parameters too.
func register(specs ...*cmdletSpec) {
	for _, s := range specs {
		s.params = append(slices.Clip(s.params), commonParams...)
		cmdlets[strings.ToLower(s.name)] = s
	}
}

func (e *evaluator) statement(st statement) {
	if st.assign != "" {
		e.assignment(st)
		return
	}
	var targets []target
	for i, c := range st.pipeline {
		sp := lookupCmdlet(c.name)
		e.cur = c.name
		if sp == nil {
			e.fail(c.pos, "unknown cmdlet%s", suggestCmdlet(c.name))
			return
		}
		e.cur = sp.name
		if sp.name == "Get-Credential" {
			e.fail(c.pos, "assign the credential to a variable: $cred = Get-Credential")
			return
		}
		if i > 0 && sp.input == objNone && !sp.inputAny {
			e.fail(c.pos, "%s does not take input from a pipeline", sp.name)
			return
		}
		if i < len(st.pipeline)-1 && sp.output == objNone {
			e.fail(c.pos, "%s produces nothing to pipe; a pipeline starts with Get-SendConnector, Get-ReceiveConnector or Get-AcceptedDomain", sp.name)
			return
		}
		in := e.bind(c, sp)
		if in == nil {
			e.markUnbound(c, sp)
			return
		}
		if i == 0 {
			targets = sp.run(e, in, target{})
			continue
		}
		if in.has("Identity") {
			e.fail(in.get("Identity").pos, "-Identity cannot be given when the %s comes from the pipeline", targets0(targets))
			return
		}
		var next []target
		for _, t := range targets {
			if !sp.inputAny && t.kind != sp.input {
				e.fail(c.pos, "%s takes a %s, not the %s %q from the pipeline", sp.name, sp.input, t.kind, t.name)
				return
			}
			next = append(next, sp.run(e, in, t)...)
		}
		targets = next
	}
}

func targets0(ts []target) string {
	if len(ts) == 0 {
		return "object"
	}
	return ts[0].kind.String()
}

// suggestCmdlet names the known cmdlet closest to name.
func suggestCmdlet(name string) string {
	best, bestD := "", -1
	for _, s := range cmdlets {
		if d := suggest.Distance(name, s.name); bestD < 0 || d < bestD {
			best, bestD = s.name, d
		}
	}
	if bestD >= 0 && bestD <= len(name)/2 {
		return " (closest: " + best + ")"
	}
	return ""
}

func (e *evaluator) assignment(st statement) {
	c := st.pipeline[0]
	e.cur = c.name
	sp := lookupCmdlet(c.name)
	if len(st.pipeline) != 1 || sp == nil || sp.name != "Get-Credential" {
		e.errs.add(st.assignPos, "", "only Get-Credential can be assigned to a variable ($%s)", st.assign)
		return
	}
	e.cur = sp.name
	if e.bind(c, sp) == nil {
		return
	}
	cv := credVar{name: st.assign, cred: connector.Credential{UserName: "$" + st.assign}}
	if e.opts.Credentials != nil {
		cred, err := e.opts.Credentials.Credential(st.assign)
		if err != nil {
			if errors.Is(err, ErrNoCredential) {
				e.fail(st.assignPos, "no credential $%s in the credentials", st.assign)
			} else {
				e.fail(st.assignPos, "credential $%s: %v", st.assign, err)
			}
			return
		}
		cv.cred = cred
	}
	e.vars[strings.ToLower(st.assign)] = cv
}

// identity reads the -Identity (or first positional) argument of a Set-,
// Remove- or Get- cmdlet, or the piped object's name.
func (e *evaluator) identity(in *invocation, t target, required bool) (string, bool) {
	if t.kind != objNone {
		return t.name, true
	}
	a := in.get("Identity")
	if a == nil {
		if required {
			e.fail(in.pos, "missing required parameter -Identity")
		}
		return "", false
	}
	return e.text(a)
}

// configError reports an error of a connector's Build at the parameter it
// names, if this command gave it, else at the command.
func (e *evaluator) configError(in *invocation, err error) {
	var ce *connector.ConfigError
	if errors.As(err, &ce) {
		param := ce.Parameter
		if errors.Is(ce.Err, connector.ErrDuplicateBinding) && !in.has(param) {
			// A binding clashes together with a remote range: blame the
			// half of the pair this command wrote, never one it did not.
			param = map[string]string{"Bindings": "RemoteIPRanges", "RemoteIPRanges": "Bindings"}[param]
			if !in.has(param) { // both came from -Usage's defaults
				e.fail(in.pos, "%v", ce.Err)
				return
			}
		}
		p := in.pos
		if a := in.get(param); a != nil {
			p = a.pos
		}
		e.fail(p, "-%s: %v", param, ce.Err)
		return
	}
	e.fail(in.pos, "%v", err)
}

func (e *evaluator) notFound(in *invocation, kind objKind, id string) {
	if e.failed[kind.String()+"\x00"+strings.ToLower(id)] {
		return // its New- failed and was reported
	}
	if ph := placeholderIn(id); ph != "" {
		p := in.pos
		if a := in.get("Identity"); a != nil {
			p = a.pos
		}
		e.fail(p, "placeholder %s must be replaced by a value", ph)
		return
	}
	e.fail(in.pos, "no %s %q", kind, id)
}

// placeholderIn returns the first <placeholder> written inside a quoted
// name, or "".
func placeholderIn(s string) string {
	i := strings.IndexByte(s, '<')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return ""
	}
	return s[i : i+j+1]
}

// markUnbound remembers the name a New- cmdlet that could not be bound
// would have created, so that later commands on it are not reported too.
func (e *evaluator) markUnbound(c command, sp *cmdletSpec) {
	kind := map[string]objKind{"New-SendConnector": objSend, "New-ReceiveConnector": objReceive,
		"New-AcceptedDomain": objDomain}[sp.name]
	if kind == objNone {
		return
	}
	for _, p := range c.params {
		if strings.EqualFold(p.name, "Name") && p.val != nil && (p.val.kind == valWord || p.val.kind == valString) {
			e.markFailed(kind, p.val.text)
		}
	}
	if len(c.args) > 0 && (c.args[0].kind == valWord || c.args[0].kind == valString) {
		e.markFailed(kind, c.args[0].text)
	}
}

func (e *evaluator) markFailed(kind objKind, name string) {
	e.failed[kind.String()+"\x00"+strings.ToLower(name)] = true
}

// checkSets validates each server's receive connectors together: unique
// names, bindings and remote ranges, nested ranges on one binding.
func (e *evaluator) checkSets() {
	servers := map[string]string{} // lower-case → as written
	for _, r := range e.cfg.ReceiveConnectors {
		if r.Config.Server != "" {
			servers[strings.ToLower(r.Config.Server)] = r.Config.Server
		}
	}
	if len(servers) == 0 {
		servers[""] = ""
	}
	e.cur = ""
	for _, srv := range sortedValues(servers) {
		_, rs := e.cfg.ForServer(srv)
		conns := make([]*connector.ReceiveConnector, len(rs))
		for i, r := range rs {
			conns[i] = r.Connector
		}
		if _, err := connector.NewSet(conns...); err != nil {
			var ce *connector.ConfigError
			if errors.As(err, &ce) && e.where[strings.ToLower(ce.Connector)] != nil {
				in := e.where[strings.ToLower(ce.Connector)]
				e.cur = in.cmdlet
				e.configError(in, err)
				continue
			}
			e.errs.add(Pos{}, "", "receive connectors%s: %v", onServer(srv), err)
		}
	}
}

func sortedValues(m map[string]string) []string {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
