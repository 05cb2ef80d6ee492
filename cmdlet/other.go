package cmdlet

import (
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
)

// connectorTarget finds the connector an *-ADPermission cmdlet names: the
// piped one, or -Identity, which must not name both a send and a receive
// connector.
func (e *evaluator) connectorTarget(in *invocation, t target) (target, bool) {
	if t.kind != objNone {
		return t, true
	}
	id, ok := e.identity(in, t, true)
	if !ok {
		return target{}, false
	}
	s, r := e.sendAt(id) >= 0, e.cfg.receiveIndex(id) >= 0
	switch {
	case s && r:
		e.fail(in.get("Identity").pos, "%q is both a send and a receive connector; pipe it: Get-SendConnector %q | %s ...", id, id, in.cmdlet)
		return target{}, false
	case s:
		return target{objSend, id}, true
	case r:
		return target{objReceive, id}, true
	}
	if !e.failed[objSend.String()+"\x00"+strings.ToLower(id)] && !e.failed[objReceive.String()+"\x00"+strings.ToLower(id)] {
		e.fail(in.pos, "no send or receive connector %q", id)
	}
	return target{}, false
}

// permission changes a connector's explicit permissions:
// Add-ADPermission, or with remove Remove-ADPermission.
func permission(remove bool) func(*evaluator, *invocation, target) []target {
	return func(e *evaluator, in *invocation, t target) []target {
		ua, ra := in.get("User"), in.get("ExtendedRights")
		if ua == nil || ra == nil {
			e.fail(in.pos, "missing required parameter -%s", map[bool]string{true: "User", false: "ExtendedRights"}[ua == nil])
			return nil
		}
		user, ok := e.text(ua)
		var rights perms.Right
		ok = parseField(e, ra, e.joined, perms.ParseRights, &rights) && ok
		deny := false
		if a := in.get("Deny"); a != nil {
			var ok1 bool
			deny, ok1 = e.boolean(a)
			ok = ok && ok1
		}
		if !ok {
			return nil
		}
		tg, ok := e.connectorTarget(in, t)
		if !ok {
			return nil
		}
		p := connector.Permission{User: perms.Principal(user), ExtendedRights: rights, Deny: deny, Remove: remove}
		if tg.kind == objSend {
			i := e.sendAt(tg.name)
			s := e.cfg.SendConnectors[i].clone()
			s.Config.Permissions = append(s.Config.Permissions, p)
			if e.buildSend(in, s) {
				e.cfg.SendConnectors[i] = s
			}
			return nil
		}
		i := e.cfg.receiveIndex(tg.name)
		old := e.cfg.ReceiveConnectors[i]
		r := &ReceiveConnector{Config: old.Connector.Config()}
		r.Config.Permissions = append(r.Config.Permissions, p)
		c, err := r.Config.Build()
		if err != nil {
			e.configError(in, err)
			return nil
		}
		r.Connector = c
		e.cfg.ReceiveConnectors[i] = r
		return nil
	}
}

func (e *evaluator) getPermission(in *invocation, t target) []target {
	e.connectorTarget(in, t)
	return nil
}

func (e *evaluator) newDomain(in *invocation, _ target) []target {
	na, da := in.get("Name"), in.get("DomainName")
	if na == nil || da == nil {
		e.fail(in.pos, "missing required parameter -%s", map[bool]string{true: "Name", false: "DomainName"}[na == nil])
		return nil
	}
	name, ok1 := e.text(na)
	domain, ok2 := e.text(da)
	d := AcceptedDomain{Name: name, AcceptedDomain: routing.AcceptedDomain{Domain: domain}}
	ok3 := true
	if a := in.get("DomainType"); a != nil {
		ok3 = parseField(e, a, e.text, routing.ParseDomainType, &d.Type)
	}
	if !ok1 || !ok2 || !ok3 {
		e.markFailed(objDomain, name)
		return nil
	}
	if e.cfg.domainIndex(name) >= 0 {
		e.fail(na.val.pos, "an accepted domain named %q already exists", name)
		return nil
	}
	if !e.checkDomain(da.pos, &d, -1) {
		e.markFailed(objDomain, name)
		return nil
	}
	e.cfg.AcceptedDomains = append(e.cfg.AcceptedDomains, d)
	return nil
}

// checkDomain canonicalises d.Domain and checks it against the other
// accepted domains (all but index skip).
func (e *evaluator) checkDomain(at Pos, d *AcceptedDomain, skip int) bool {
	one, err := routing.NewAcceptedDomains([]routing.AcceptedDomain{d.AcceptedDomain})
	if err != nil {
		e.fail(at, "-DomainName: %v", err)
		return false
	}
	d.AcceptedDomain = one.Domains()[0]
	all := []routing.AcceptedDomain{d.AcceptedDomain}
	for i, o := range e.cfg.AcceptedDomains {
		if i != skip {
			all = append(all, o.AcceptedDomain)
		}
	}
	if _, err := routing.NewAcceptedDomains(all); err != nil {
		e.fail(at, "-DomainName: %v", err)
		return false
	}
	return true
}

func (e *evaluator) domainTarget(in *invocation, t target) (int, bool) {
	id, ok := e.identity(in, t, true)
	if !ok {
		return -1, false
	}
	i := e.cfg.domainIndex(id)
	if i < 0 {
		e.notFound(in, objDomain, id)
	}
	return i, i >= 0
}

func (e *evaluator) setDomain(in *invocation, t target) []target {
	i, ok := e.domainTarget(in, t)
	if !ok {
		return nil
	}
	d := e.cfg.AcceptedDomains[i]
	if a := in.get("Name"); a != nil {
		name, ok := e.text(a)
		if !ok {
			return nil
		}
		if j := e.cfg.domainIndex(name); j >= 0 && j != i {
			e.fail(a.val.pos, "an accepted domain named %q already exists", name)
			return nil
		}
		d.Name = name
	}
	if a := in.get("DomainType"); a != nil && !parseField(e, a, e.text, routing.ParseDomainType, &d.Type) {
		return nil
	}
	e.cfg.AcceptedDomains[i] = d
	return nil
}

func (e *evaluator) removeDomain(in *invocation, t target) []target {
	if i, ok := e.domainTarget(in, t); ok {
		e.cfg.AcceptedDomains = append(e.cfg.AcceptedDomains[:i:i], e.cfg.AcceptedDomains[i+1:]...)
	}
	return nil
}

func (e *evaluator) getDomain(in *invocation, t target) []target {
	if !in.has("Identity") {
		out := make([]target, len(e.cfg.AcceptedDomains))
		for i, d := range e.cfg.AcceptedDomains {
			out[i] = target{objDomain, d.Name}
		}
		return out
	}
	if i, ok := e.domainTarget(in, t); ok {
		return []target{{objDomain, e.cfg.AcceptedDomains[i].Name}}
	}
	return nil
}

type tsSetter struct {
	name string
	set  func(e *evaluator, a *arg, t *TransportServer) bool
}

func spanField(lo, hi time.Duration, field func(*TransportServer) *time.Duration) func(*evaluator, *arg, *TransportServer) bool {
	return func(e *evaluator, a *arg, t *TransportServer) bool {
		d, ok := e.span(a, lo, hi)
		*field(t) = d
		return ok
	}
}

func limitField[T any](lo, hi int64, unlimited, bytes bool, field func(*T) *Limit) func(*evaluator, *arg, *T) bool {
	return func(e *evaluator, a *arg, t *T) bool {
		read := e.integer
		if bytes {
			read = e.size
		}
		n, ok := read(a, lo, hi, unlimited)
		*field(t) = n
		return ok
	}
}

func intField(lo, hi int64, field func(*TransportServer) *int) func(*evaluator, *arg, *TransportServer) bool {
	return func(e *evaluator, a *arg, t *TransportServer) bool {
		n, ok := e.integer(a, lo, hi, false)
		*field(t) = int(n)
		return ok
	}
}

const day = 24 * time.Hour

var tsSetters = []tsSetter{
	{"TransientFailureRetryCount", intField(0, 15, func(t *TransportServer) *int { return &t.TransientFailureRetryCount })},
	{"TransientFailureRetryInterval", spanField(time.Second, 12*time.Hour, func(t *TransportServer) *time.Duration { return &t.TransientFailureRetryInterval })},
	{"OutboundConnectionFailureRetryInterval", spanField(time.Second, 20*day, func(t *TransportServer) *time.Duration { return &t.OutboundConnectionFailureRetryInterval })},
	{"MessageRetryInterval", spanField(time.Second, day, func(t *TransportServer) *time.Duration { return &t.MessageRetryInterval })},
	{"MessageExpirationTimeout", spanField(5*time.Second, 90*day, func(t *TransportServer) *time.Duration { return &t.MessageExpirationTimeout })},
	{"DelayNotificationTimeout", spanField(time.Second, 30*day, func(t *TransportServer) *time.Duration { return &t.DelayNotificationTimeout })},
	{"QueueMaxIdleTime", spanField(5*time.Second, time.Hour, func(t *TransportServer) *time.Duration { return &t.QueueMaxIdleTime })},
	{"MaxOutboundConnections", limitField(1, maxInt32, true, false, func(t *TransportServer) *Limit { return &t.MaxOutboundConnections })},
	{"MaxPerDomainOutboundConnections", limitField(1, maxInt32, true, false, func(t *TransportServer) *Limit { return &t.MaxPerDomainOutboundConnections })},
	{"PoisonThreshold", intField(1, 10, func(t *TransportServer) *int { return &t.PoisonThreshold })},
	{"ReceiveProtocolLogPath", stringField(func(t *TransportServer) *string { return &t.ReceiveProtocolLogPath })},
	{"SendProtocolLogPath", stringField(func(t *TransportServer) *string { return &t.SendProtocolLogPath })},
	{"MessageTrackingLogPath", stringField(func(t *TransportServer) *string { return &t.MessageTrackingLogPath })},
	{"MessageTrackingLogSubjectLoggingEnabled", boolField(func(t *TransportServer) *bool { return &t.MessageTrackingLogSubjectLoggingEnabled })},
	{"PickupDirectoryPath", stringField(func(t *TransportServer) *string { return &t.PickupDirectoryPath })},
}

func (e *evaluator) setTransportServer(in *invocation, _ target) []target {
	id, ok := e.identity(in, target{}, true)
	if !ok {
		return nil
	}
	ts := e.cfg.TransportServer
	for _, st := range tsSetters {
		if a := in.get(st.name); a != nil {
			ok = st.set(e, a, &ts) && ok
		}
	}
	if !ok {
		return nil
	}
	if ts.MaxOutboundConnections != Unlimited && ts.MaxPerDomainOutboundConnections != Unlimited &&
		ts.MaxPerDomainOutboundConnections > ts.MaxOutboundConnections ||
		ts.MaxOutboundConnections != Unlimited && ts.MaxPerDomainOutboundConnections == Unlimited {
		e.fail(in.pos, "MaxPerDomainOutboundConnections cannot exceed MaxOutboundConnections")
		return nil
	}
	if e.opts.Server != "" && !routing.SameServer(id, e.opts.Server) {
		return nil // another server's settings
	}
	ts.Identity = id
	e.cfg.TransportServer = ts
	return nil
}

type tcSetter struct {
	name string
	set  func(e *evaluator, a *arg, t *TransportConfig) bool
}

var tcSetters = []tcSetter{
	{"MaxReceiveSize", limitField(0, 2097151<<10, true, true, func(t *TransportConfig) *Limit { return &t.MaxReceiveSize })},
	{"MaxSendSize", limitField(0, 2097151<<10, true, true, func(t *TransportConfig) *Limit { return &t.MaxSendSize })},
	{"MaxRecipientEnvelopeLimit", limitField(0, maxInt32, true, false, func(t *TransportConfig) *Limit { return &t.MaxRecipientEnvelopeLimit })},
}

func (e *evaluator) setTransportConfig(in *invocation, _ target) []target {
	tc, ok := e.cfg.TransportConfig, true
	for _, st := range tcSetters {
		if a := in.get(st.name); a != nil {
			ok = st.set(e, a, &tc) && ok
		}
	}
	if ok {
		e.cfg.TransportConfig = tc
	}
	return nil
}

func noop(*evaluator, *invocation, target) []target { return nil }

func init() {
	identity := []pspec{{"Identity", pValue}}
	adParams := []pspec{{"Identity", pValue}, {"User", pValue}, {"ExtendedRights", pValue}, {"Deny", pSwitch},
		{"AccessRights", pUnsupported}, {"InheritanceType", pUnsupported}, {"ChildObjectTypes", pUnsupported},
		{"InheritedObjectType", pUnsupported}, {"Properties", pUnsupported}, {"Owner", pUnsupported}}
	domainParams := []pspec{{"Name", pValue}, {"DomainName", pValue}, {"DomainType", pValue},
		{"MatchSubDomains", pUnsupported}, {"AddressBookEnabled", pUnsupported}, {"OutboundOnly", pUnsupported},
		{"MakeDefault", pUnsupported}}
	var ts, tc []pspec
	for _, s := range tsSetters {
		ts = append(ts, pspec{s.name, pValue})
	}
	for _, s := range tcSetters {
		tc = append(tc, pspec{s.name, pValue})
	}
	register(
		&cmdletSpec{name: "Add-ADPermission", params: adParams, positional: "Identity", inputAny: true,
			run: permission(false)},
		&cmdletSpec{name: "Remove-ADPermission", params: adParams, positional: "Identity", inputAny: true,
			run: permission(true)},
		&cmdletSpec{name: "Get-ADPermission", params: []pspec{{"Identity", pValue}, {"User", pValue}},
			positional: "Identity", inputAny: true, run: (*evaluator).getPermission},
		&cmdletSpec{name: "New-AcceptedDomain", params: domainParams, positional: "Name", run: (*evaluator).newDomain},
		&cmdletSpec{name: "Set-AcceptedDomain", params: append(identity, domainParams[0], domainParams[2], domainParams[4],
			domainParams[6]), positional: "Identity", input: objDomain, run: (*evaluator).setDomain},
		&cmdletSpec{name: "Remove-AcceptedDomain", params: identity, positional: "Identity", input: objDomain,
			run: (*evaluator).removeDomain},
		&cmdletSpec{name: "Get-AcceptedDomain", params: identity, positional: "Identity", input: objDomain,
			output: objDomain, run: (*evaluator).getDomain},
		&cmdletSpec{name: "Set-TransportServer", params: append(identity, ts...), positional: "Identity",
			run: (*evaluator).setTransportServer},
		&cmdletSpec{name: "Get-TransportServer", params: identity, positional: "Identity", run: noop},
		&cmdletSpec{name: "Set-TransportConfig", params: append(identity, tc...), positional: "Identity",
			run: (*evaluator).setTransportConfig},
		&cmdletSpec{name: "Get-TransportConfig", params: identity, positional: "Identity", run: noop},
		&cmdletSpec{name: "Get-Credential", params: []pspec{{"Credential", pValue}, {"UserName", pValue},
			{"Message", pValue}, {"Title", pValue}}, positional: "Credential", run: noop},
	)
}
