package connector

import (
	"strings"
	"time"

	"github.com/hubedge/hubedge/perms"
)

// SendOption configures NewSend.
type SendOption interface{ applySend(*sendConfig) }

// ReceiveOption configures NewReceive.
type ReceiveOption interface{ applyReceive(*receiveConfig) }

// Option configures either kind of connector: the parameters that send and
// receive connectors share.
type Option interface {
	SendOption
	ReceiveOption
}

// common holds the parameters shared by both kinds; "set" flags record
// what the caller chose, so usage defaults fill in only the rest.
type common struct {
	usage          Usage
	edge           bool
	fqdn           string
	maxMessageSize int64
	sizeSet        bool
	inactivity     time.Duration
	enabled        bool
	comment        string
	protocolLog    ProtocolLoggingLevel
	requireTLS     bool
	domainSecure   bool
	domainSecSet   bool
	permOps        []permOp
}

// permOp is one Add-ADPermission / Remove-ADPermission, applied in order
// after the usage or group defaults.
type permOp struct {
	kind      permKind
	principal perms.Principal
	rights    perms.Right
}

type permKind uint8

const (
	permAdd permKind = iota
	permRemove
	permDeny
)

type funcSend func(*sendConfig)

func (f funcSend) applySend(c *sendConfig) { f(c) }

type funcReceive func(*receiveConfig)

func (f funcReceive) applyReceive(c *receiveConfig) { f(c) }

type funcCommon func(*common)

func (f funcCommon) applySend(c *sendConfig)       { f(&c.common) }
func (f funcCommon) applyReceive(c *receiveConfig) { f(&c.common) }

// WithUsage sets the usage type (default UsageCustom), which selects the
// defaults of SPEC.md §1.3 and §2.3. UsageClient is for receive connectors
// only.
func WithUsage(u Usage) Option { return funcCommon(func(c *common) { c.usage = u }) }

// WithEdgeDefaults selects the Edge Transport role's values: receive
// ConnectionTimeout 5 min and ConnectionInactivityTimeout 1 min; no
// ExchangeUsers or ExchangeLegacyServers permission groups and no Client
// usage; and the Internal send connector's permissions leave out the
// Exchange Servers group (SPEC.md §1.3, §2.1, §2.3). The default is Hub.
func WithEdgeDefaults() Option { return funcCommon(func(c *common) { c.edge = true }) }

// WithFQDN sets the name given in EHLO (send) or in the banner, EHLO reply
// and Received header (receive). Default: empty, meaning the server's FQDN.
func WithFQDN(fqdn string) Option { return funcCommon(func(c *common) { c.fqdn = fqdn }) }

// WithMaxMessageSize sets MaxMessageSize in bytes. Send: default 10 MB,
// unlimited for Internal usage; 0 means unlimited; byte values are rounded
// up to whole KB as the reference system does. Receive: default 10 MB;
// 65536 to 2147483647.
func WithMaxMessageSize(n int64) Option {
	return funcCommon(func(c *common) { c.maxMessageSize, c.sizeSet = n, true })
}

// WithConnectionInactivityTimeout sets how long an idle connection stays
// open. Send default 10 min; receive default 5 min (Edge 1 min). Range 1 s
// to 1 day.
func WithConnectionInactivityTimeout(d time.Duration) Option {
	return funcCommon(func(c *common) { c.inactivity = d })
}

// WithEnabled enables or disables the connector (default enabled).
// Disabled send connectors are ignored by routing; disabled receive
// connectors accept no connections.
func WithEnabled(on bool) Option { return funcCommon(func(c *common) { c.enabled = on }) }

// WithComment sets a free-text comment.
func WithComment(s string) Option { return funcCommon(func(c *common) { c.comment = s }) }

// WithProtocolLogging sets ProtocolLoggingLevel (default None).
func WithProtocolLogging(l ProtocolLoggingLevel) Option {
	return funcCommon(func(c *common) { c.protocolLog = l })
}

// WithRequireTLS requires TLS for every message (default off). Send: needs
// smart hosts. Receive: needs the TLS auth mechanism.
func WithRequireTLS(on bool) Option { return funcCommon(func(c *common) { c.requireTLS = on }) }

// WithDomainSecure sets DomainSecureEnabled, mutual TLS with a partner
// domain (SPEC.md §4.3). Default off, on for Partner send connectors.
func WithDomainSecure(on bool) Option {
	return funcCommon(func(c *common) { c.domainSecure, c.domainSecSet = on, true })
}

// WithPermission grants rights to a principal, after the usage or
// permission-group defaults: Add-ADPermission -User p -ExtendedRights r.
// Send connectors take send rights only, receive connectors receive rights
// only.
func WithPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c *common) { c.permOps = append(c.permOps, permOp{permAdd, p, r}) })
}

// WithoutPermission withdraws rights from a principal, including rights
// that a default granted: Remove-ADPermission.
func WithoutPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c *common) { c.permOps = append(c.permOps, permOp{permRemove, p, r}) })
}

// WithDeniedPermission denies rights to a principal; a denial wins over
// any grant to another principal of the same session:
// Add-ADPermission -Deny.
func WithDeniedPermission(p perms.Principal, r perms.Right) Option {
	return funcCommon(func(c *common) { c.permOps = append(c.permOps, permOp{permDeny, p, r}) })
}

// applyPermOps applies the permission options to acl and checks that every
// right belongs to the connector's side.
func applyPermOps(name string, acl *perms.ACL, ops []permOp, allowed perms.Right) error {
	for _, op := range ops {
		if op.rights&^allowed != 0 {
			return configErr(name, "Permissions", ErrInvalid, "%s cannot be granted on this kind of connector", op.rights&^allowed)
		}
		if op.principal.Canonical() == "" {
			return configErr(name, "Permissions", ErrRequired, "empty principal")
		}
		op.principal = resolvePrincipal(op.principal)
		switch op.kind {
		case permAdd:
			acl.Add(op.principal, op.rights)
		case permRemove:
			acl.Remove(op.principal, op.rights)
		case permDeny:
			acl.Deny(op.principal, op.rights)
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
