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
// grants), and its limits. Build it with NewReceive and select among several
// with a Set. Accessor results that are slices or ACLs are copies; a
// *ReceiveConnector is safe for concurrent use.
type ReceiveConnector struct {
	name              string
	usage             Usage
	edge              bool
	bindings          []netip.AddrPort
	remoteIPRanges    []IPRange
	authMech          auth.Mechanism
	groups            perms.Group
	acl               *perms.ACL
	fqdn              string
	banner            string
	maxMessageSize    int64
	maxHeaderSize     int64
	maxRecipients     int
	maxInbound        int
	maxInboundPerSrc  int
	connTimeout       time.Duration
	inactivity        time.Duration
	maxHopCount       int
	maxLocalHopCount  int
	maxProtocolErrors int
	maxLogonFailures  int
	tarpit            time.Duration
	requireTLS        bool
	requireEHLODomain bool
	domainSecure      bool
	enabled           bool
	comment           string
	protocolLog       ProtocolLoggingLevel
}

// NewReceive builds a receive connector: the defaults of SPEC.md §2.1, the
// usage type's PermissionGroups, AuthMechanism, bindings and remote ranges
// (§2.3), then opts. Refusals are *ConfigError values naming the parameter.
//
//	New-ReceiveConnector -Name "To Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings 10.1.1.1:25 -RemoteIPRanges 192.168.5.10,192.168.5.20
//	connector.NewReceive("To Internal Org", connector.WithUsage(connector.UsageInternal),
//		connector.WithAuthMechanism(auth.TLS|auth.BasicAuth|auth.BasicAuthRequireTLS|auth.ExchangeServer),
//		connector.WithBindingList("10.1.1.1:25"), connector.WithRemoteIPRangeList("192.168.5.10,192.168.5.20"))
func NewReceive(name string, opts ...ReceiveOption) (*ReceiveConnector, error) {
	c := defaultReceiveConfig()
	for _, o := range opts {
		o.applyReceive(&c)
	}
	for _, err := range c.errs {
		err.(*ConfigError).Connector = name
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	c.applyUsageDefaults()
	if err := c.validate(name); err != nil {
		return nil, err
	}
	acl := &perms.ACL{}
	acl.AddGroups(c.groups)
	if err := applyPermOps(name, acl, c.permOps, perms.ReceiveRights); err != nil {
		return nil, err
	}
	if c.denyAnonAuthSend {
		acl.Remove(perms.Anonymous, perms.AcceptAuthoritativeDomainSender)
	}
	rc := &ReceiveConnector{
		name: name, usage: c.usage, edge: c.edge,
		bindings: slices.Clone(c.bindings), remoteIPRanges: slices.Clone(c.remoteRanges),
		authMech: c.authMech, groups: c.groups, acl: acl, fqdn: c.fqdn, banner: c.banner,
		maxMessageSize: c.maxMessageSize, maxHeaderSize: c.maxHeaderSize,
		maxRecipients: c.maxRecipients, maxInbound: c.maxInbound, maxInboundPerSrc: c.maxInboundPerSrc,
		connTimeout: c.connTimeout, inactivity: c.inactivity,
		maxHopCount: c.maxHopCount, maxLocalHopCount: c.maxLocalHopCount,
		maxProtocolErrors: c.maxProtocolErrors, maxLogonFailures: c.maxLogonFailures,
		tarpit: c.tarpit, requireTLS: c.requireTLS, requireEHLODomain: c.requireEHLODomain,
		domainSecure: c.domainSecure, enabled: c.enabled, comment: c.comment,
		protocolLog: c.protocolLog,
	}
	if err := rc.checkOpenRelay(c.allowOpenRelay); err != nil {
		return nil, err
	}
	return rc, nil
}

// applyUsageDefaults fills what the caller left unset from SPEC.md §2.3.
// Integrated (NTLM/Kerberos) is left out of the Client default because
// hubedge does not implement it.
func (c *receiveConfig) applyUsageDefaults() {
	var g perms.Group
	var m auth.Mechanism
	switch c.usage {
	case UsageClient:
		g, m = perms.ExchangeUsers, auth.TLS|auth.BasicAuth|auth.BasicAuthRequireTLS
		if len(c.bindings) == 0 {
			c.bindings = []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), 587)}
		}
	case UsageInternal:
		g, m = perms.ExchangeServers|perms.ExchangeLegacyServers, auth.TLS|auth.ExchangeServer
		if c.edge {
			g = perms.ExchangeServers
		}
		if len(c.bindings) == 0 {
			c.bindings = []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), 25)}
		}
	case UsageInternet:
		g, m = perms.AnonymousUsers, auth.TLS
		if !c.rangesSet {
			c.remoteRanges = []IPRange{AllIPv4}
		}
	case UsagePartner:
		g, m = perms.Partners, auth.TLS
	default:
		g, m = perms.NoGroups, auth.TLS
	}
	if !c.groupsSet {
		c.groups = g
	}
	if !c.authSet {
		c.authMech = m
	}
	if !c.sizeSet {
		c.maxMessageSize = DefaultReceiveMaxMessageSize
	}
	if c.connTimeout == 0 {
		c.connTimeout = DefaultConnectionTimeout
		if c.edge {
			c.connTimeout = DefaultEdgeConnectionTimeout
		}
	}
	if c.inactivity == 0 {
		c.inactivity = DefaultReceiveInactivityTimeout
		if c.edge {
			c.inactivity = DefaultEdgeReceiveInactivityTimeout
		}
	}
}

// Name returns the connector name.
func (c *ReceiveConnector) Name() string { return c.name }

// Usage returns the usage type chosen at creation.
func (c *ReceiveConnector) Usage() Usage { return c.usage }

// Bindings returns the local IP:port pairs the connector listens on.
func (c *ReceiveConnector) Bindings() []netip.AddrPort { return slices.Clone(c.bindings) }

// RemoteIPRanges returns the remote ranges the connector serves.
func (c *ReceiveConnector) RemoteIPRanges() []IPRange { return slices.Clone(c.remoteIPRanges) }

// AcceptsRemote reports whether remote lies in one of the remote ranges.
func (c *ReceiveConnector) AcceptsRemote(remote netip.Addr) bool {
	for _, r := range c.remoteIPRanges {
		if r.Contains(remote) {
			return true
		}
	}
	return false
}

// AuthMechanism returns the AuthMechanism set.
func (c *ReceiveConnector) AuthMechanism() auth.Mechanism { return c.authMech }

// PermissionGroups returns the PermissionGroups set.
func (c *ReceiveConnector) PermissionGroups() perms.Group { return c.groups }

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
func (c *ReceiveConnector) FQDN() string { return c.fqdn }

// Banner returns the custom greeting (starting "220"), or "" for the
// server's default.
func (c *ReceiveConnector) Banner() string { return c.banner }

// MaxMessageSize returns the message size limit in bytes.
func (c *ReceiveConnector) MaxMessageSize() int64 { return c.maxMessageSize }

// MaxHeaderSize returns the header size limit in bytes.
func (c *ReceiveConnector) MaxHeaderSize() int64 { return c.maxHeaderSize }

// MaxRecipientsPerMessage returns the RCPT limit per transaction.
func (c *ReceiveConnector) MaxRecipientsPerMessage() int { return c.maxRecipients }

// MaxInboundConnection returns the connection limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnection() int { return c.maxInbound }

// MaxInboundConnectionPerSource returns the per-remote-IP connection
// limit; 0 means unlimited.
func (c *ReceiveConnector) MaxInboundConnectionPerSource() int { return c.maxInboundPerSrc }

// ConnectionTimeout returns the absolute session limit.
func (c *ReceiveConnector) ConnectionTimeout() time.Duration { return c.connTimeout }

// ConnectionInactivityTimeout returns the idle limit of a session.
func (c *ReceiveConnector) ConnectionInactivityTimeout() time.Duration { return c.inactivity }

// MaxHopCount returns the Received fields a message may carry.
func (c *ReceiveConnector) MaxHopCount() int { return c.maxHopCount }

// MaxLocalHopCount returns the local-server Received fields a message may
// carry; 0 means no limit.
func (c *ReceiveConnector) MaxLocalHopCount() int { return c.maxLocalHopCount }

// MaxProtocolErrors returns the protocol errors after which the session is
// closed; 0 means unlimited.
func (c *ReceiveConnector) MaxProtocolErrors() int { return c.maxProtocolErrors }

// MaxLogonFailures returns the failed logons after which the session is
// closed; 0 means never.
func (c *ReceiveConnector) MaxLogonFailures() int { return c.maxLogonFailures }

// TarpitInterval returns the delay for abusive unauthenticated hosts; 0
// disables tarpitting.
func (c *ReceiveConnector) TarpitInterval() time.Duration { return c.tarpit }

// RequireTLS reports whether messages must arrive over TLS.
func (c *ReceiveConnector) RequireTLS() bool { return c.requireTLS }

// RequireEHLODomain reports whether EHLO/HELO must carry a domain.
func (c *ReceiveConnector) RequireEHLODomain() bool { return c.requireEHLODomain }

// DomainSecureEnabled reports whether mutual TLS with partner domains is
// enabled.
func (c *ReceiveConnector) DomainSecureEnabled() bool { return c.domainSecure }

// Enabled reports whether the connector accepts connections.
func (c *ReceiveConnector) Enabled() bool { return c.enabled }

// IsEdge reports whether the connector was built with WithEdgeDefaults.
func (c *ReceiveConnector) IsEdge() bool { return c.edge }

// Comment returns the administrator's comment.
func (c *ReceiveConnector) Comment() string { return c.comment }

// ProtocolLoggingLevel returns the protocol logging level.
func (c *ReceiveConnector) ProtocolLoggingLevel() ProtocolLoggingLevel { return c.protocolLog }

// String returns the connector name.
func (c *ReceiveConnector) String() string { return c.name }
