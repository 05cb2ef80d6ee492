package connector

import (
	"strings"
	"time"

	"github.com/hubedge/hubedge/perms"
)

// SendOption configures NewSend: it sets a field of the SendConfig that
// NewSend builds.
type SendOption interface{ applySend(*sendState) }

// ReceiveOption configures NewReceive: it sets a field of the
// ReceiveConfig that NewReceive builds.
type ReceiveOption interface{ applyReceive(*receiveState) }

// Option configures either kind of connector: the parameters that send and
// receive connectors share.
type Option interface {
	SendOption
	ReceiveOption
}

// optionsSet records which parameters the options chose, for those whose
// default depends on other parameters.
type optionsSet struct {
	size, inactivity, domainSecure, dnsRouting, auth, ranges, groups, connTimeout, dane, mtaSts bool
}

// optionErrs collects the options whose argument did not parse.
type optionErrs []*ConfigError

func (e *optionErrs) fail(param string, err error) {
	*e = append(*e, &ConfigError{Parameter: param,
		Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}})
}

// first returns the first of them, for the connector name, or nil.
func (e optionErrs) first(name string) error {
	if len(e) == 0 {
		return nil
	}
	e[0].Connector = name
	return e[0]
}

// shared points at the fields both configurations have, so that one
// closure implements an Option for both.
type shared struct {
	set          *optionsSet
	usage        *Usage
	edge         *bool
	fqdn         *string
	size         *int64
	inactivity   *time.Duration
	enabled      *bool
	comment      *string
	protocolLog  *ProtocolLoggingLevel
	requireTLS   *bool
	domainSecure *bool
	permissions  *[]Permission
}

func (c *sendState) shared() shared {
	f := &c.cfg
	return shared{&c.set, &f.Usage, &f.Edge, &f.Fqdn, &f.MaxMessageSize, &f.ConnectionInactivityTimeOut,
		&f.Enabled, &f.Comment, &f.ProtocolLoggingLevel, &f.RequireTLS, &f.DomainSecureEnabled, &f.Permissions}
}

func (c *receiveState) shared() shared {
	f := &c.cfg
	return shared{&c.set, &f.Usage, &f.Edge, &f.Fqdn, &f.MaxMessageSize, &f.ConnectionInactivityTimeout,
		&f.Enabled, &f.Comment, &f.ProtocolLoggingLevel, &f.RequireTLS, &f.DomainSecureEnabled, &f.Permissions}
}

type funcSend func(*sendState)

func (f funcSend) applySend(c *sendState) { f(c) }

type funcReceive func(*receiveState)

func (f funcReceive) applyReceive(c *receiveState) { f(c) }

type funcCommon func(shared)

func (f funcCommon) applySend(c *sendState)       { f(c.shared()) }
func (f funcCommon) applyReceive(c *receiveState) { f(c.shared()) }

// WithUsage sets the usage type (default UsageCustom), which selects the
// defaults of NewSendConfig and NewReceiveConfig. UsageClient is for
// receive connectors only.
func WithUsage(u Usage) Option { return funcCommon(func(c shared) { *c.usage = u }) }

// WithEdgeDefaults selects the Edge Transport role's values: receive
// ConnectionTimeout 5 min and ConnectionInactivityTimeout 1 min; no
// ExchangeUsers or ExchangeLegacyServers permission groups and no Client
// usage; and the Internal send connector's permissions leave out the
// Exchange Servers group. The default is Hub.
func WithEdgeDefaults() Option { return funcCommon(func(c shared) { *c.edge = true }) }

// WithFQDN sets the name given in EHLO (send) or in the banner, EHLO reply
// and Received header (receive). Default: empty, meaning the server's FQDN.
func WithFQDN(fqdn string) Option { return funcCommon(func(c shared) { *c.fqdn = fqdn }) }

// WithMaxMessageSize sets MaxMessageSize in bytes. Send: default 10 MB,
// unlimited for Internal usage; 0 means unlimited; byte values are rounded
// up to whole KB as the reference system does. Receive: default 10 MB;
// 65536 to 2147483647.
func WithMaxMessageSize(n int64) Option {
	return funcCommon(func(c shared) { *c.size, c.set.size = n, true })
}

// WithConnectionInactivityTimeout sets how long an idle connection stays
// open. Send default 10 min; receive default 5 min (Edge 1 min). Range 1 s
// to 1 day.
func WithConnectionInactivityTimeout(d time.Duration) Option {
	return funcCommon(func(c shared) { *c.inactivity, c.set.inactivity = d, d != 0 })
}

// WithEnabled enables or disables the connector (default enabled).
// Disabled send connectors are ignored by routing; disabled receive
// connectors accept no connections.
func WithEnabled(on bool) Option { return funcCommon(func(c shared) { *c.enabled = on }) }

// WithComment sets a free-text comment.
func WithComment(s string) Option { return funcCommon(func(c shared) { *c.comment = s }) }

// WithProtocolLogging sets ProtocolLoggingLevel (default None).
func WithProtocolLogging(l ProtocolLoggingLevel) Option {
	return funcCommon(func(c shared) { *c.protocolLog = l })
}

// WithRequireTLS requires TLS for every message (default off). Send: needs
// smart hosts. Receive: needs the TLS auth mechanism.
func WithRequireTLS(on bool) Option { return funcCommon(func(c shared) { *c.requireTLS = on }) }

// WithDomainSecure sets DomainSecureEnabled, mutual TLS with a partner
// domain. Default off, on for Partner send connectors.
func WithDomainSecure(on bool) Option {
	return funcCommon(func(c shared) { *c.domainSecure, c.set.domainSecure = on, true })
}

// WithPermission grants rights to a principal, after the usage or
// permission-group defaults: Add-ADPermission -User p -ExtendedRights r.
// Send connectors take send rights only, receive connectors receive rights
// only.
func WithPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c shared) { *c.permissions = append(*c.permissions, Permission{User: p, ExtendedRights: r}) })
}

// WithoutPermission withdraws rights from a principal, including rights
// that a default granted: Remove-ADPermission.
func WithoutPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c shared) {
		*c.permissions = append(*c.permissions, Permission{User: p, ExtendedRights: r, Remove: true})
	})
}

// WithDeniedPermission denies rights to a principal; a denial wins over
// any grant to another principal of the same session:
// Add-ADPermission -Deny.
func WithDeniedPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c shared) {
		*c.permissions = append(*c.permissions, Permission{User: p, ExtendedRights: r, Deny: true})
	})
}

// applyPermissions applies the explicit permission entries to acl and
// checks that every right belongs to the connector's side.
func applyPermissions(name string, acl *perms.ACL, ps []Permission, allowed perms.Right) error {
	for _, p := range ps {
		if p.ExtendedRights&^allowed != 0 {
			return configErr(name, "Permissions", ErrInvalid, "%s cannot be granted on this kind of connector", p.ExtendedRights&^allowed)
		}
		if p.User.Canonical() == "" {
			return configErr(name, "Permissions", ErrRequired, "empty principal")
		}
		user := resolvePrincipal(p.User)
		switch {
		case p.Remove && p.Deny:
			acl.Undeny(user, p.ExtendedRights)
		case p.Remove:
			acl.Remove(user, p.ExtendedRights)
		case p.Deny:
			acl.Deny(user, p.ExtendedRights)
		default:
			acl.Add(user, p.ExtendedRights)
		}
	}
	return nil
}

// resolvePrincipal accepts a well-known principal without its authority, as
// the seed scripts write it (-user "ANONYMOUS LOGON" for
// NT AUTHORITY\ANONYMOUS LOGON).
func resolvePrincipal(p perms.Principal) perms.Principal {
	p = p.Canonical()
	if strings.ContainsRune(string(p), '\\') {
		return p
	}
	for _, w := range perms.WellKnown() {
		if _, short, ok := strings.Cut(string(w), `\`); ok && perms.Principal(short).Equal(p) {
			return w
		}
	}
	return p
}
