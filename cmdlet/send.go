package cmdlet

import (
	"strings"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
)

// sendSetter applies one New-/Set-SendConnector parameter to a declaration.
type sendSetter struct {
	name string
	set  func(e *evaluator, a *arg, s *SendConnector) bool
}

func strEq(a, b string) bool { return strings.EqualFold(a, b) }

var sendSetters = []sendSetter{
	{"AddressSpaces", func(e *evaluator, a *arg, s *SendConnector) bool {
		v, ok := editList(e, a, s.Config.AddressSpaces, addrspace.Parse, func(x, y addrspace.AddressSpace) bool { return x == y })
		s.Config.AddressSpaces = v
		return ok
	}},
	{"SmartHosts", func(e *evaluator, a *arg, s *SendConnector) bool {
		v, ok := editList(e, a, s.Config.SmartHosts, connector.ParseSmartHost, func(x, y connector.SmartHost) bool { return x == y })
		s.Config.SmartHosts = v
		return ok
	}},
	{"DNSRoutingEnabled", boolField(func(s *SendConnector) *bool { return &s.Config.DNSRoutingEnabled })},
	{"SmartHostAuthMechanism", func(e *evaluator, a *arg, s *SendConnector) bool {
		return parseField(e, a, e.joined, auth.ParseSmartHostAuth, &s.Config.SmartHostAuthMechanism)
	}},
	{"AuthenticationCredential", func(e *evaluator, a *arg, s *SendConnector) bool {
		c, name, ok := e.credential(a)
		s.Config.AuthenticationCredential, s.CredentialVar = c, name
		return ok
	}},
	{"Port", func(e *evaluator, a *arg, s *SendConnector) bool {
		n, ok := e.integer(a, 1, 65535, false)
		s.Config.Port = uint16(n)
		return ok
	}},
	{"RequireTLS", boolField(func(s *SendConnector) *bool { return &s.Config.RequireTLS })},
	{"IgnoreSTARTTLS", boolField(func(s *SendConnector) *bool { return &s.Config.IgnoreSTARTTLS })},
	{"TlsAuthLevel", func(e *evaluator, a *arg, s *SendConnector) bool {
		return parseField(e, a, e.text, auth.ParseTLSAuthLevel, &s.Config.TlsAuthLevel)
	}},
	{"TlsDomain", stringField(func(s *SendConnector) *string { return &s.Config.TlsDomain })},
	{"DomainSecureEnabled", boolField(func(s *SendConnector) *bool { return &s.Config.DomainSecureEnabled })},
	{"UseExternalDNSServersEnabled", boolField(func(s *SendConnector) *bool { return &s.Config.UseExternalDNSServersEnabled })},
	{"SourceTransportServers", func(e *evaluator, a *arg, s *SendConnector) bool {
		v, ok := editList(e, a, s.Config.SourceTransportServers, func(x string) (string, error) { return x, nil }, strEq)
		s.Config.SourceTransportServers = v
		return ok
	}},
	{"IsScopedConnector", boolField(func(s *SendConnector) *bool { return &s.Config.IsScopedConnector })},
	{"Fqdn", stringField(func(s *SendConnector) *string { return &s.Config.Fqdn })},
	{"ConnectionInactivityTimeOut", func(e *evaluator, a *arg, s *SendConnector) bool {
		d, ok := e.span(a, minSpan, maxDay)
		s.Config.ConnectionInactivityTimeOut = d
		return ok
	}},
	{"SmtpMaxMessagesPerConnection", func(e *evaluator, a *arg, s *SendConnector) bool {
		n, ok := e.integer(a, 1, maxInt32, false)
		s.Config.SmtpMaxMessagesPerConnection = int(n)
		return ok
	}},
	{"MaxMessageSize", func(e *evaluator, a *arg, s *SendConnector) bool {
		n, ok := e.size(a, 0, maxInt32, true)
		if n == Unlimited {
			n = connector.Unlimited
		}
		s.Config.MaxMessageSize = int64(n)
		return ok
	}},
	{"ProtocolLoggingLevel", func(e *evaluator, a *arg, s *SendConnector) bool {
		return parseField(e, a, e.text, connector.ParseProtocolLoggingLevel, &s.Config.ProtocolLoggingLevel)
	}},
	{"Enabled", boolField(func(s *SendConnector) *bool { return &s.Config.Enabled })},
	{"Comment", stringField(func(s *SendConnector) *string { return &s.Config.Comment })},
	{"LinkedReceiveConnector", stringField(func(s *SendConnector) *string { return &s.Config.LinkedReceiveConnector })},
	// hubedge extensions, not the reference system's: DANE and MTA-STS
	// on delivery, on by default for Internet usage.
	{"DaneEnabled", boolField(func(s *SendConnector) *bool { return &s.Config.DaneEnabled })},
	{"MtaStsEnabled", boolField(func(s *SendConnector) *bool { return &s.Config.MtaStsEnabled })},
}

const (
	maxInt32 = 1<<31 - 1
	minSpan  = 1e9             // 1 s
	maxDay   = 24 * 3600 * 1e9 // 1 day
)

func boolField[T any](field func(*T) *bool) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, s *T) bool {
		v, ok := e.boolean(a)
		*field(s) = v
		return ok
	}
}

func stringField[T any](field func(*T) *string) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, s *T) bool {
		v, ok := e.text(a)
		*field(s) = v
		return ok
	}
}

// parseField reads a value with read (text or joined) and parses it into
// *dst with parse, reporting a parse error at the value.
func parseField[T any](e *evaluator, a *arg, read func(*arg) (string, bool), parse func(string) (T, error), dst *T) bool {
	s, ok := read(a)
	if !ok {
		return false
	}
	v, err := parse(s)
	if err != nil {
		e.fail(a.val.pos, "-%s: bad value %q: %v", a.name, s, err)
		return false
	}
	*dst = v
	return true
}

var usageSwitches = []string{"Custom", "Internal", "Internet", "Partner", "Client"}

func sendParams(isNew bool) []pspec {
	ps := []pspec{{"Name", pValue}}
	if isNew {
		ps = append(ps, pspec{"Usage", pValue})
		for _, u := range usageSwitches[:4] {
			ps = append(ps, pspec{u, pSwitch})
		}
	} else {
		ps = append(ps, pspec{"Identity", pValue}, pspec{"Usage", pCreationOnly})
	}
	for _, s := range sendSetters {
		ps = append(ps, pspec{s.name, pValue})
	}
	return append(ps, unsupported("ForceHELO", "SourceIPAddress", "ErrorPolicies", "TlsCertificateName",
		"IsCoexistenceConnector", "CloudServicesMailEnabled", "FrontendProxyEnabled", "ConnectorType",
		"RequireOorg", "MaxMessageSizeUnit", "Region", "TlsAuthLevelEx")...)
}

// usage reads -Usage or a usage switch (-Internal ...); they exclude each
// other.
func (e *evaluator) usage(in *invocation, allowed []string) (connector.Usage, bool) {
	u, ok, given := connector.UsageCustom, true, ""
	if a := in.get("Usage"); a != nil {
		given = "-Usage"
		ok = parseField(e, a, e.text, connector.ParseUsage, &u)
	}
	for _, name := range allowed {
		a := in.get(name)
		if a == nil {
			continue
		}
		if on, ok1 := e.boolean(a); !ok1 || !on {
			ok = ok && ok1
			continue
		}
		if given != "" {
			e.fail(a.pos, "-%s and %s exclude each other", name, given)
			return u, false
		}
		given = "-" + name
		u, _ = connector.ParseUsage(name)
	}
	return u, ok
}

// creation reads what every New-*Connector starts from: -Name and the
// usage type. It marks the name failed when the usage is bad, so that later
// commands on it are not reported too.
func (e *evaluator) creation(in *invocation, kind objKind, switches []string) (name string, at Pos, u connector.Usage, ok bool) {
	nameArg := in.get("Name")
	if nameArg == nil {
		e.fail(in.pos, "missing required parameter -Name")
		return "", at, u, false
	}
	if name, ok = e.text(nameArg); !ok {
		return "", at, u, false
	}
	if u, ok = e.usage(in, switches); !ok {
		e.markFailed(kind, name)
	}
	return name, nameArg.val.pos, u, ok
}

func (e *evaluator) newSend(in *invocation, _ target) []target {
	name, at, u, ok := e.creation(in, objSend, usageSwitches[:4])
	if !ok {
		return nil
	}
	if e.sendAt(name) >= 0 {
		e.fail(at, "a send connector named %q already exists", name)
		return nil
	}
	s := &SendConnector{Config: connector.NewSendConfig(name, u)}
	s.Config.Edge = e.opts.Edge
	if !e.applySend(in, s) {
		e.markFailed(objSend, name)
		return nil
	}
	e.cfg.SendConnectors = append(e.cfg.SendConnectors, s)
	if e.sendNames != nil {
		e.sendNames[strings.ToLower(name)] = len(e.cfg.SendConnectors) - 1
	}
	return nil
}

// sendAt returns the index of the send connector named name, or -1. The
// index of names makes a script of many connectors linear, not quadratic;
// renames and removals drop it to be rebuilt.
func (e *evaluator) sendAt(name string) int {
	if e.sendNames == nil {
		e.sendNames = make(map[string]int, len(e.cfg.SendConnectors))
		for i, s := range e.cfg.SendConnectors {
			e.sendNames[strings.ToLower(s.Config.Name)] = i
		}
	}
	if i, ok := e.sendNames[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// applySend sets the invocation's parameters on s and builds it.
func (e *evaluator) applySend(in *invocation, s *SendConnector) bool {
	ok := true
	for _, st := range sendSetters {
		if a := in.get(st.name); a != nil {
			ok = st.set(e, a, s) && ok
		}
	}
	// Smart hosts given without -DNSRoutingEnabled turn DNS routing off, as
	// the cmdlet expects both to be written but every reader means this.
	if in.has("SmartHosts") && !in.has("DNSRoutingEnabled") && len(s.Config.SmartHosts) > 0 {
		s.Config.DNSRoutingEnabled = false
	}
	if !ok {
		return false
	}
	return e.buildSend(in, s)
}

func (e *evaluator) buildSend(in *invocation, s *SendConnector) bool {
	c, err := s.Config.Build()
	if err != nil {
		e.configError(in, err)
		return false
	}
	s.Connector = c
	return true
}

// sendTarget finds the send connector of a Set-, Remove- or Get- cmdlet.
func (e *evaluator) sendTarget(in *invocation, t target) (int, bool) {
	id, ok := e.identity(in, t, true)
	if !ok {
		return -1, false
	}
	i := e.sendAt(id)
	if i < 0 {
		e.notFound(in, objSend, id)
	}
	return i, i >= 0
}

func (e *evaluator) setSend(in *invocation, t target) []target {
	i, ok := e.sendTarget(in, t)
	if !ok {
		return nil
	}
	s := e.cfg.SendConnectors[i].clone()
	if a := in.get("Name"); a != nil {
		name, ok := e.text(a)
		if !ok {
			return nil
		}
		if j := e.sendAt(name); j >= 0 && j != i {
			e.fail(a.val.pos, "a send connector named %q already exists", name)
			return nil
		}
		s.Config.Name = name
	}
	if e.applySend(in, s) {
		e.cfg.SendConnectors[i] = s
		e.sendNames = nil
	}
	return nil
}

func (s *SendConnector) clone() *SendConnector {
	n := *s
	n.Config = s.Connector.Config() // a deep copy
	return &n
}

func (e *evaluator) removeSend(in *invocation, t target) []target {
	if i, ok := e.sendTarget(in, t); ok {
		e.cfg.SendConnectors = append(e.cfg.SendConnectors[:i:i], e.cfg.SendConnectors[i+1:]...)
		e.sendNames = nil
	}
	return nil
}

func (e *evaluator) getSend(in *invocation, t target) []target {
	if !in.has("Identity") {
		out := make([]target, len(e.cfg.SendConnectors))
		for i, s := range e.cfg.SendConnectors {
			out[i] = target{objSend, s.Config.Name}
		}
		return out
	}
	if i, ok := e.sendTarget(in, t); ok {
		return []target{{objSend, e.cfg.SendConnectors[i].Config.Name}}
	}
	return nil
}

// enableCrossForest grants what the reference system's
// Enable-CrossForestConnector.ps1 grants on a send connector: the header
// rights, and Exch50 with -genericMTA.
func (e *evaluator) enableCrossForest(in *invocation, _ target) []target {
	ca, ua := in.get("Connector"), in.get("User")
	if ca == nil || ua == nil {
		e.fail(in.pos, "missing required parameter -%s", map[bool]string{true: "Connector", false: "User"}[ca == nil])
		return nil
	}
	id, ok1 := e.text(ca)
	user, ok2 := e.text(ua)
	legacy, ok3 := false, true
	if a := in.get("genericMTA"); a != nil {
		legacy, ok3 = e.boolean(a)
	}
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	i := e.sendAt(id)
	if i < 0 {
		e.notFound(in, objSend, id)
		return nil
	}
	s := e.cfg.SendConnectors[i].clone()
	s.Config.Permissions = append(s.Config.Permissions, connector.Permission{
		User: perms.Principal(user), ExtendedRights: connector.CrossForestRights(legacy)})
	if e.buildSend(in, s) {
		e.cfg.SendConnectors[i] = s
	}
	return nil
}

func init() {
	register(
		&cmdletSpec{name: "New-SendConnector", params: sendParams(true), positional: "Name",
			run: (*evaluator).newSend},
		&cmdletSpec{name: "Set-SendConnector", params: sendParams(false), positional: "Identity", input: objSend,
			run: (*evaluator).setSend},
		&cmdletSpec{name: "Remove-SendConnector", params: []pspec{{"Identity", pValue}}, positional: "Identity",
			input: objSend, run: (*evaluator).removeSend},
		&cmdletSpec{name: "Get-SendConnector", params: []pspec{{"Identity", pValue}}, positional: "Identity",
			input: objSend, output: objSend, run: (*evaluator).getSend},
		&cmdletSpec{name: "Enable-CrossForestConnector",
			params: []pspec{{"Connector", pValue}, {"User", pValue}, {"genericMTA", pSwitch}},
			run:    (*evaluator).enableCrossForest},
	)
}
