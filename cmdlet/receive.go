package cmdlet

import (
	"net/netip"
	"strings"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
)

type receiveSetter struct {
	name string
	set  func(e *evaluator, a *arg, r *ReceiveConnector) bool
}

func rcfg(f func(c *connector.ReceiveConfig) *int) func(*ReceiveConnector) *int {
	return func(r *ReceiveConnector) *int { return f(&r.Config) }
}

// countField reads a count in [lo, hi], or unlimited (stored as 0) if
// allowed.
func countField(lo, hi int64, unlimited bool, field func(*ReceiveConnector) *int) func(*evaluator, *arg, *ReceiveConnector) bool {
	return func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		n, ok := e.integer(a, lo, hi, unlimited)
		if n == Unlimited {
			n = connector.Unlimited
		}
		*field(r) = int(n)
		return ok
	}
}

var receiveSetters = []receiveSetter{
	{"Server", stringField(func(r *ReceiveConnector) *string { return &r.Config.Server })},
	{"Bindings", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		v, ok := editList(e, a, r.Config.Bindings, connector.ParseBinding, func(x, y netip.AddrPort) bool { return x == y })
		r.Config.Bindings = v
		return ok
	}},
	{"RemoteIPRanges", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		v, ok := editList(e, a, r.Config.RemoteIPRanges, connector.ParseIPRange, connector.IPRange.Equal)
		r.Config.RemoteIPRanges = v
		return ok
	}},
	{"AuthMechanism", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		return parseField(e, a, e.joined, auth.ParseMechanisms, &r.Config.AuthMechanism)
	}},
	{"PermissionGroups", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		return parseField(e, a, e.joined, perms.ParseGroups, &r.Config.PermissionGroups)
	}},
	{"Fqdn", stringField(func(r *ReceiveConnector) *string { return &r.Config.Fqdn })},
	{"Banner", stringField(func(r *ReceiveConnector) *string { return &r.Config.Banner })},
	{"MaxMessageSize", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		n, ok := e.size(a, 65536, maxInt32, false)
		r.Config.MaxMessageSize = int64(n)
		return ok
	}},
	{"MaxHeaderSize", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		n, ok := e.size(a, 1, maxInt32, false)
		r.Config.MaxHeaderSize = int64(n)
		return ok
	}},
	{"MaxRecipientsPerMessage", countField(1, 512000, false, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxRecipientsPerMessage }))},
	{"MaxInboundConnection", countField(1, maxInt32, true, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxInboundConnection }))},
	{"MaxInboundConnectionPerSource", countField(1, 10000, true, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxInboundConnectionPerSource }))},
	{"MaxHopCount", countField(1, 500, false, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxHopCount }))},
	{"MaxLocalHopCount", countField(0, 50, false, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxLocalHopCount }))},
	{"MaxProtocolErrors", countField(0, maxInt32, true, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxProtocolErrors }))},
	{"MaxLogonFailures", countField(0, 10, false, rcfg(func(c *connector.ReceiveConfig) *int { return &c.MaxLogonFailures }))},
	{"TarpitInterval", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		d, ok := e.span(a, 0, 600e9)
		r.Config.TarpitInterval = d
		return ok
	}},
	{"ConnectionTimeout", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		d, ok := e.span(a, minSpan, maxDay)
		r.Config.ConnectionTimeout = d
		return ok
	}},
	{"ConnectionInactivityTimeout", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		d, ok := e.span(a, minSpan, maxDay)
		r.Config.ConnectionInactivityTimeout = d
		return ok
	}},
	{"RequireEHLODomain", boolField(func(r *ReceiveConnector) *bool { return &r.Config.RequireEHLODomain })},
	{"RequireTLS", boolField(func(r *ReceiveConnector) *bool { return &r.Config.RequireTLS })},
	{"DomainSecureEnabled", boolField(func(r *ReceiveConnector) *bool { return &r.Config.DomainSecureEnabled })},
	{"ProtocolLoggingLevel", func(e *evaluator, a *arg, r *ReceiveConnector) bool {
		return parseField(e, a, e.text, connector.ParseProtocolLoggingLevel, &r.Config.ProtocolLoggingLevel)
	}},
	{"Enabled", boolField(func(r *ReceiveConnector) *bool { return &r.Config.Enabled })},
	{"Comment", stringField(func(r *ReceiveConnector) *string { return &r.Config.Comment })},
}

func receiveParams(isNew bool) []pspec {
	ps := []pspec{{"Name", pValue}}
	if isNew {
		ps = append(ps, pspec{"Usage", pValue})
		for _, u := range usageSwitches {
			ps = append(ps, pspec{u, pSwitch})
		}
	} else {
		ps = append(ps, pspec{"Identity", pValue}, pspec{"Usage", pCreationOnly})
	}
	for _, s := range receiveSetters {
		if isNew || s.name != "Server" { // Set- finds the server in the identity
			ps = append(ps, pspec{s.name, pValue})
		}
	}
	return append(ps, unsupported("MaxInboundConnectionPercentagePerSource", "AuthTarpitInterval",
		"MessageRateLimit", "MessageRateSource", "EnableAuthGSSAPI", "SuppressXAnonymousTls", "SizeEnabled",
		"BinaryMimeEnabled", "ChunkingEnabled", "EightBitMimeEnabled", "PipeliningEnabled",
		"EnhancedStatusCodesEnabled", "DeliveryStatusNotificationEnabled", "LongAddressesEnabled",
		"OrarEnabled", "DefaultDomain", "BareLinefeedRejectionEnabled", "RejectReservedTopLevelRecipientDomains",
		"RejectReservedSecondLevelRecipientDomains", "RejectSingleLabelRecipientDomains",
		"MaxAcknowledgementDelay", "ExtendedProtectionPolicy", "TlsCertificateName", "TlsDomainCapabilities",
		"TransportRole", "AdvertiseClientSettings", "ServiceDiscoveryFqdn")...)
}

func (e *evaluator) newReceive(in *invocation, _ target) []target {
	name, at, u, ok := e.creation(in, objReceive, usageSwitches)
	if !ok {
		return nil
	}
	cfg := connector.NewReceiveConfig(name, u)
	if e.opts.Edge {
		cfg = connector.NewEdgeReceiveConfig(name, u)
	}
	r := &ReceiveConnector{Config: cfg}
	if !e.applyReceive(in, r) {
		e.markFailed(objReceive, name)
		return nil
	}
	if e.receiveExists(r.Config.Server, name, -1) {
		e.fail(at, "a receive connector named %q already exists%s", name, onServer(r.Config.Server))
		return nil
	}
	e.cfg.ReceiveConnectors = append(e.cfg.ReceiveConnectors, r)
	e.where[strings.ToLower(name)] = in
	return nil
}

func onServer(s string) string {
	if s == "" {
		return ""
	}
	return " on server " + s
}

// receiveExists reports whether another connector (not index skip) of the
// same server has this name; connectors of no particular server clash with
// every server's.
func (e *evaluator) receiveExists(server, name string, skip int) bool {
	for i, r := range e.cfg.ReceiveConnectors {
		if i != skip && strings.EqualFold(r.Config.Name, name) &&
			(server == "" || r.Config.Server == "" || routing.SameServer(server, r.Config.Server)) {
			return true
		}
	}
	return false
}

func (e *evaluator) applyReceive(in *invocation, r *ReceiveConnector) bool {
	ok := true
	for _, st := range receiveSetters {
		if a := in.get(st.name); a != nil {
			ok = st.set(e, a, r) && ok
		}
	}
	if !ok {
		return false
	}
	c, err := r.Config.Build()
	if err != nil {
		e.configError(in, err)
		return false
	}
	r.Connector = c
	return true
}

func (e *evaluator) receiveTarget(in *invocation, t target) (int, bool) {
	id, ok := e.identity(in, t, true)
	if !ok {
		return -1, false
	}
	i := e.cfg.receiveIndex(id)
	if i < 0 {
		e.notFound(in, objReceive, id)
		return -1, false
	}
	return i, true
}

func (e *evaluator) setReceive(in *invocation, t target) []target {
	i, ok := e.receiveTarget(in, t)
	if !ok {
		return nil
	}
	old := e.cfg.ReceiveConnectors[i]
	r := &ReceiveConnector{Config: old.Connector.Config()}
	if a := in.get("Name"); a != nil {
		name, ok := e.text(a)
		if !ok {
			return nil
		}
		if e.receiveExists(r.Config.Server, name, i) {
			e.fail(a.val.pos, "a receive connector named %q already exists%s", name, onServer(r.Config.Server))
			return nil
		}
		r.Config.Name = name
	}
	if e.applyReceive(in, r) {
		e.cfg.ReceiveConnectors[i] = r
		e.where[strings.ToLower(r.Config.Name)] = in
	}
	return nil
}

func (e *evaluator) removeReceive(in *invocation, t target) []target {
	i, ok := e.receiveTarget(in, t)
	if ok {
		e.cfg.ReceiveConnectors = append(e.cfg.ReceiveConnectors[:i:i], e.cfg.ReceiveConnectors[i+1:]...)
	}
	return nil
}

func (e *evaluator) getReceive(in *invocation, t target) []target {
	if in.has("Identity") {
		i, ok := e.receiveTarget(in, t)
		if !ok {
			return nil
		}
		return []target{{objReceive, receiveID(e.cfg.ReceiveConnectors[i])}}
	}
	server := ""
	if a := in.get("Server"); a != nil {
		var ok bool
		if server, ok = e.text(a); !ok {
			return nil
		}
	}
	var out []target
	for _, r := range e.cfg.ReceiveConnectors {
		if server == "" || routing.SameServer(server, r.Config.Server) {
			out = append(out, target{objReceive, receiveID(r)})
		}
	}
	return out
}

// receiveID is the identity that finds exactly this connector: Server\Name
// when it belongs to a server.
func receiveID(r *ReceiveConnector) string {
	if r.Config.Server != "" {
		return r.Config.Server + `\` + r.Config.Name
	}
	return r.Config.Name
}

func init() {
	register(
		&cmdletSpec{name: "New-ReceiveConnector", params: receiveParams(true), positional: "Name",
			run: (*evaluator).newReceive},
		&cmdletSpec{name: "Set-ReceiveConnector", params: receiveParams(false), positional: "Identity",
			input: objReceive, run: (*evaluator).setReceive},
		&cmdletSpec{name: "Remove-ReceiveConnector", params: []pspec{{"Identity", pValue}}, positional: "Identity",
			input: objReceive, run: (*evaluator).removeReceive},
		&cmdletSpec{name: "Get-ReceiveConnector", params: []pspec{{"Identity", pValue}, {"Server", pValue}},
			positional: "Identity", input: objReceive, output: objReceive, run: (*evaluator).getReceive},
	)
}
