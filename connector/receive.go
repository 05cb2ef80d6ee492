package connector

import (
	"net/netip"
	"slices"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// Defaults of receive connectors: Hub values, and Edge values where the
// name says so (NewEdgeReceiveConfig).
const (
	DefaultReceiveMaxMessageSize         = 10 << 20
	DefaultMaxHeaderSize                 = 256 << 10
	DefaultMaxRecipientsPerMessage       = 200
	DefaultMaxInboundConnection          = 5000
	DefaultMaxInboundConnectionPerSource = 20
	DefaultConnectionTimeout             = 10 * time.Minute
	DefaultEdgeConnectionTimeout         = 5 * time.Minute
	DefaultReceiveInactivityTimeout      = 5 * time.Minute
	DefaultEdgeReceiveInactivityTimeout  = 1 * time.Minute
	DefaultMaxHopCount                   = 30
	DefaultMaxLocalHopCount              = 8
	DefaultMaxProtocolErrors             = 5
	DefaultMaxLogonFailures              = 3
	DefaultTarpitInterval                = 5 * time.Second
)

// ReceiveConnector is a validated, immutable receive connector: which
// local bindings and remote ranges it serves, how sessions authenticate,
// what they may do (the ACL built from PermissionGroups and explicit
// grants), and its limits. Build it from a ReceiveConfig and select among
// several with a Set. The accessors are what a server needs per session;
// Config gives every parameter back. Accessor results that are slices or
// ACLs are copies; a *ReceiveConnector is safe for concurrent use.
type ReceiveConnector struct {
	cfg ReceiveConfig
	acl *perms.ACL
}

// Build validates the configuration and returns the connector, or a
// *ConfigError naming the parameter (ErrOpenRelay for a connector that
// would relay for everyone, unless AllowOpenRelay). The connector keeps its
// own copy of the configuration.
func (c ReceiveConfig) Build() (*ReceiveConnector, error) {
	if err := checkName(c.Name); err != nil {
		return nil, err
	}
	c = c.clone()
	if err := c.validate(); err != nil {
		return nil, err
	}
	acl := &perms.ACL{}
	acl.AddGroups(c.PermissionGroups)
	if err := applyPermissions(c.Name, acl, c.Permissions, perms.ReceiveRights); err != nil {
		return nil, err
	}
	if c.DenyAnonymousAuthoritativeSender {
		acl.Remove(perms.Anonymous, perms.AcceptAuthoritativeDomainSender)
	}
	rc := &ReceiveConnector{cfg: c, acl: acl}
	if err := rc.checkOpenRelay(); err != nil {
		return nil, err
	}
	return rc, nil
}

// Config returns a copy of the connector's configuration: the starting
// point of a Set-ReceiveConnector. Building it again gives an equal
// connector.
func (c *ReceiveConnector) Config() ReceiveConfig { return c.cfg.clone() }

// Name returns the connector name.
func (c *ReceiveConnector) Name() string { return c.cfg.Name }

// AcceptsRemote reports whether remote lies in one of the remote ranges.
func (c *ReceiveConnector) AcceptsRemote(remote netip.Addr) bool {
	for _, r := range c.cfg.RemoteIPRanges {
		if r.Contains(remote) {
			return true
		}
	}
	return false
}

// ACL returns a copy of the connector's permissions: the grants of its
// permission groups plus explicit grants, removals and denials.
func (c *ReceiveConnector) ACL() *perms.ACL { return c.acl.Clone() }

// Rights returns the effective rights of a session evaluated as principals
// (auth.Identity.Principals()). It does not allocate.
func (c *ReceiveConnector) Rights(principals ...perms.Principal) perms.Right {
	return c.acl.Rights(principals...)
}

// AuthMechanism returns the AuthMechanism set.
func (c *ReceiveConnector) AuthMechanism() auth.Mechanism { return c.cfg.AuthMechanism }

// Banner returns the custom greeting (starting "220"), or "" for the
// server's default.
func (c *ReceiveConnector) Banner() string { return c.cfg.Banner }

// Bindings returns the local IP:port pairs the connector listens on.
func (c *ReceiveConnector) Bindings() []netip.AddrPort { return slices.Clone(c.cfg.Bindings) }

// ConnectionInactivityTimeout returns the idle limit of a session.
func (c *ReceiveConnector) ConnectionInactivityTimeout() time.Duration {
	return c.cfg.ConnectionInactivityTimeout
}

// ConnectionTimeout returns the absolute session limit.
func (c *ReceiveConnector) ConnectionTimeout() time.Duration { return c.cfg.ConnectionTimeout }

// DomainSecureEnabled reports whether mutual TLS with partner domains is
// enabled.
func (c *ReceiveConnector) DomainSecureEnabled() bool { return c.cfg.DomainSecureEnabled }

// FQDN returns the name for the banner, EHLO reply and Received header;
// empty means the server's FQDN.
func (c *ReceiveConnector) FQDN() string { return c.cfg.Fqdn }

// MaxHeaderSize returns the header size limit in bytes.
func (c *ReceiveConnector) MaxHeaderSize() int64 { return c.cfg.MaxHeaderSize }

// MaxHopCount returns the Received fields a message may carry.
func (c *ReceiveConnector) MaxHopCount() int { return c.cfg.MaxHopCount }

// MaxInboundConnection returns the connection limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnection() int { return c.cfg.MaxInboundConnection }

// MaxInboundConnectionPerSource returns the per-remote-IP connection
// limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnectionPerSource() int {
	return c.cfg.MaxInboundConnectionPerSource
}

// MaxLocalHopCount returns the local-server Received fields a message may
// carry; 0 means no limit.
func (c *ReceiveConnector) MaxLocalHopCount() int { return c.cfg.MaxLocalHopCount }

// MaxLogonFailures returns the failed logons after which the session is
// closed; 0 means never.
func (c *ReceiveConnector) MaxLogonFailures() int { return c.cfg.MaxLogonFailures }

// MaxMessageSize returns the message size limit in bytes.
func (c *ReceiveConnector) MaxMessageSize() int64 { return c.cfg.MaxMessageSize }

// MaxProtocolErrors returns the protocol errors after which the session is
// closed; 0 means unlimited.
func (c *ReceiveConnector) MaxProtocolErrors() int { return c.cfg.MaxProtocolErrors }

// MaxRecipientsPerMessage returns the RCPT limit per transaction.
func (c *ReceiveConnector) MaxRecipientsPerMessage() int { return c.cfg.MaxRecipientsPerMessage }

// ProtocolLoggingLevel returns the protocol logging level.
func (c *ReceiveConnector) ProtocolLoggingLevel() ProtocolLoggingLevel {
	return c.cfg.ProtocolLoggingLevel
}

// RequireEHLODomain reports whether EHLO/HELO must carry a domain.
func (c *ReceiveConnector) RequireEHLODomain() bool { return c.cfg.RequireEHLODomain }

// RequireTLS reports whether messages must arrive over TLS.
func (c *ReceiveConnector) RequireTLS() bool { return c.cfg.RequireTLS }

// TarpitInterval returns the delay for abusive unauthenticated hosts; 0
// disables tarpitting.
func (c *ReceiveConnector) TarpitInterval() time.Duration { return c.cfg.TarpitInterval }

// String returns the connector name.
func (c *ReceiveConnector) String() string { return c.cfg.Name }
