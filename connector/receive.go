package connector

import (
	"net/netip"
	"slices"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// ReceiveConnector is a validated, immutable receive connector: which
// local bindings and remote ranges it serves, how sessions authenticate,
// what they may do (the ACL built from PermissionGroups and explicit
// grants), and its limits. Build it from a ReceiveConfig (or with
// NewReceive) and select among several with a Set. Accessor results that
// are slices or ACLs are copies; a *ReceiveConnector is safe for concurrent
// use.
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

// NewReceive builds a receive connector from options: NewReceiveConfig's
// (or with WithEdgeDefaults, NewEdgeReceiveConfig's) defaults for the usage
// WithUsage chooses, then opts, then Build. Options that list bindings or
// remote ranges replace the usage's default list. Refusals are Build's.
//
//	New-ReceiveConnector -Name "To Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings 10.1.1.1:25 -RemoteIPRanges 192.168.5.10,192.168.5.20
//	connector.NewReceive("To Internal Org", connector.WithUsage(connector.UsageInternal),
//		connector.WithAuthMechanism(auth.TLS|auth.BasicAuth|auth.BasicAuthRequireTLS|auth.ExchangeServer),
//		connector.WithBindingList("10.1.1.1:25"), connector.WithRemoteIPRangeList("192.168.5.10,192.168.5.20"))
func NewReceive(name string, opts ...ReceiveOption) (*ReceiveConnector, error) {
	s := receiveState{cfg: NewReceiveConfig(name, UsageCustom)}
	for _, o := range opts {
		o.applyReceive(&s)
	}
	if err := s.first(name); err != nil {
		return nil, err
	}
	return s.resolve().Build()
}

// resolve fills what the options left out from the defaults of the usage
// and role they chose.
func (c *receiveState) resolve() ReceiveConfig {
	cfg, d := c.cfg, newReceiveConfig(c.cfg.Name, c.cfg.Usage, c.cfg.Edge)
	if len(cfg.Bindings) == 0 {
		cfg.Bindings = d.Bindings
	}
	if !c.set.ranges {
		cfg.RemoteIPRanges = d.RemoteIPRanges
	}
	if !c.set.groups {
		cfg.PermissionGroups = d.PermissionGroups
	}
	if !c.set.auth {
		cfg.AuthMechanism = d.AuthMechanism
	}
	if !c.set.connTimeout {
		cfg.ConnectionTimeout = d.ConnectionTimeout
	}
	if !c.set.inactivity {
		cfg.ConnectionInactivityTimeout = d.ConnectionInactivityTimeout
	}
	return cfg
}

// Name returns the connector name.
func (c *ReceiveConnector) Name() string { return c.cfg.Name }

// Usage returns the usage type chosen at creation.
func (c *ReceiveConnector) Usage() Usage { return c.cfg.Usage }

// Bindings returns the local IP:port pairs the connector listens on.
func (c *ReceiveConnector) Bindings() []netip.AddrPort { return slices.Clone(c.cfg.Bindings) }

// RemoteIPRanges returns the remote ranges the connector serves.
func (c *ReceiveConnector) RemoteIPRanges() []IPRange { return slices.Clone(c.cfg.RemoteIPRanges) }

// AcceptsRemote reports whether remote lies in one of the remote ranges.
func (c *ReceiveConnector) AcceptsRemote(remote netip.Addr) bool {
	for _, r := range c.cfg.RemoteIPRanges {
		if r.Contains(remote) {
			return true
		}
	}
	return false
}

// AuthMechanism returns the AuthMechanism set.
func (c *ReceiveConnector) AuthMechanism() auth.Mechanism { return c.cfg.AuthMechanism }

// PermissionGroups returns the PermissionGroups set.
func (c *ReceiveConnector) PermissionGroups() perms.Group { return c.cfg.PermissionGroups }

// ACL returns a copy of the connector's permissions: the grants of its
// permission groups plus explicit grants, removals and denials.
func (c *ReceiveConnector) ACL() *perms.ACL { return c.acl.Clone() }

// Rights returns the effective rights of a session evaluated as principals
// (auth.Identity.Principals()). It does not allocate.
func (c *ReceiveConnector) Rights(principals ...perms.Principal) perms.Right {
	return c.acl.Rights(principals...)
}

// FQDN returns the name for the banner, EHLO reply and Received header;
// empty means the server's FQDN.
func (c *ReceiveConnector) FQDN() string { return c.cfg.Fqdn }

// Banner returns the custom greeting (starting "220"), or "" for the
// server's default.
func (c *ReceiveConnector) Banner() string { return c.cfg.Banner }

// MaxMessageSize returns the message size limit in bytes.
func (c *ReceiveConnector) MaxMessageSize() int64 { return c.cfg.MaxMessageSize }

// MaxHeaderSize returns the header size limit in bytes.
func (c *ReceiveConnector) MaxHeaderSize() int64 { return c.cfg.MaxHeaderSize }

// MaxRecipientsPerMessage returns the RCPT limit per transaction.
func (c *ReceiveConnector) MaxRecipientsPerMessage() int { return c.cfg.MaxRecipientsPerMessage }

// MaxInboundConnection returns the connection limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnection() int { return c.cfg.MaxInboundConnection }

// MaxInboundConnectionPerSource returns the per-remote-IP connection
// limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnectionPerSource() int {
	return c.cfg.MaxInboundConnectionPerSource
}

// ConnectionTimeout returns the absolute session limit.
func (c *ReceiveConnector) ConnectionTimeout() time.Duration { return c.cfg.ConnectionTimeout }

// ConnectionInactivityTimeout returns the idle limit of a session.
func (c *ReceiveConnector) ConnectionInactivityTimeout() time.Duration {
	return c.cfg.ConnectionInactivityTimeout
}

// MaxHopCount returns the Received fields a message may carry.
func (c *ReceiveConnector) MaxHopCount() int { return c.cfg.MaxHopCount }

// MaxLocalHopCount returns the local-server Received fields a message may
// carry; 0 means no limit.
func (c *ReceiveConnector) MaxLocalHopCount() int { return c.cfg.MaxLocalHopCount }

// MaxProtocolErrors returns the protocol errors after which the session is
// closed; 0 means unlimited.
func (c *ReceiveConnector) MaxProtocolErrors() int { return c.cfg.MaxProtocolErrors }

// MaxLogonFailures returns the failed logons after which the session is
// closed; 0 means never.
func (c *ReceiveConnector) MaxLogonFailures() int { return c.cfg.MaxLogonFailures }

// TarpitInterval returns the delay for abusive unauthenticated hosts; 0
// disables tarpitting.
func (c *ReceiveConnector) TarpitInterval() time.Duration { return c.cfg.TarpitInterval }

// RequireTLS reports whether messages must arrive over TLS.
func (c *ReceiveConnector) RequireTLS() bool { return c.cfg.RequireTLS }

// RequireEHLODomain reports whether EHLO/HELO must carry a domain.
func (c *ReceiveConnector) RequireEHLODomain() bool { return c.cfg.RequireEHLODomain }

// DomainSecureEnabled reports whether mutual TLS with partner domains is
// enabled.
func (c *ReceiveConnector) DomainSecureEnabled() bool { return c.cfg.DomainSecureEnabled }

// Enabled reports whether the connector accepts connections.
func (c *ReceiveConnector) Enabled() bool { return c.cfg.Enabled }

// IsEdge reports whether the connector was built with WithEdgeDefaults.
func (c *ReceiveConnector) IsEdge() bool { return c.cfg.Edge }

// Comment returns the administrator's comment.
func (c *ReceiveConnector) Comment() string { return c.cfg.Comment }

// ProtocolLoggingLevel returns the protocol logging level.
func (c *ReceiveConnector) ProtocolLoggingLevel() ProtocolLoggingLevel {
	return c.cfg.ProtocolLoggingLevel
}

// String returns the connector name.
func (c *ReceiveConnector) String() string { return c.cfg.Name }
