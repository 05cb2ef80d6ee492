package connector

import (
	"slices"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// Defaults and limits of send connectors (SPEC.md §1.1 and decisions).
const (
	DefaultSendMaxMessageSize       = 10 << 20 // 2007/2010 value; Internal usage: unlimited
	DefaultSendInactivityTimeout    = 10 * time.Minute
	DefaultMaxMessagesPerConnection = 20
	maxSize                         = 2147483647
)

// SendConnector is a validated, immutable send connector: where mail for
// its address spaces goes (MX lookup or smart hosts), how the delivery
// authenticates, and which header classes survive toward the remote host.
// Build it with NewSend; accessor results that are slices or ACLs are
// copies. A *SendConnector is safe for concurrent use.
type SendConnector struct {
	name            string
	usage           Usage
	addressSpaces   []addrspace.AddressSpace
	smartHosts      []SmartHost
	dnsRouting      bool
	port            uint16
	policy          auth.ClientPolicy
	domainSecure    bool
	useExternalDNS  bool
	sourceServers   []string
	scoped          bool
	fqdn            string
	maxMessageSize  int64
	inactivity      time.Duration
	maxMsgsPerConn  int
	enabled         bool
	comment         string
	linkedReceive   string
	protocolLog     ProtocolLoggingLevel
	acl             *perms.ACL
	remotePrincipal perms.Principal
}

// NewSend builds a send connector: the defaults of SPEC.md §1.1, then the
// usage type's (§1.3), then opts. Every refusal is a *ConfigError naming
// the parameter, wrapping ErrRequired, ErrConflict, ErrInvalid or
// ErrOutOfRange.
//
//	New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true
//	connector.NewSend("To Internet", connector.WithUsage(connector.UsageInternet),
//		connector.WithAddressSpaceList("*"), connector.WithDNSRouting(true))
func NewSend(name string, opts ...SendOption) (*SendConnector, error) {
	c := defaultSendConfig()
	for _, o := range opts {
		o.applySend(&c)
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
	acl := sendUsageACL(c.usage, c.edge)
	if err := applyPermOps(name, acl, c.permOps, perms.SendRights); err != nil {
		return nil, err
	}
	sc := &SendConnector{
		name: name, usage: c.usage,
		addressSpaces: slices.Clone(c.addressSpaces), smartHosts: slices.Clone(c.smartHosts),
		dnsRouting: c.dnsRouting, port: c.port, policy: c.policy,
		domainSecure: c.domainSecure, useExternalDNS: c.useExternalDNS,
		sourceServers: slices.Clone(c.sourceServers), scoped: c.scoped, fqdn: c.fqdn,
		maxMessageSize: c.maxMessageSize, inactivity: c.inactivity,
		maxMsgsPerConn: c.maxMsgsPerConn, enabled: c.enabled, comment: c.comment,
		linkedReceive: c.linkedReceive, protocolLog: c.protocolLog, acl: acl,
		remotePrincipal: c.remotePrincipal,
	}
	if sc.remotePrincipal == "" {
		sc.remotePrincipal = defaultRemotePrincipal(c.usage, c.policy.Auth)
	}
	sc.remotePrincipal = resolvePrincipal(sc.remotePrincipal)
	return sc, nil
}

func (c *sendConfig) applyUsageDefaults() {
	if len(c.smartHosts) > 0 && !c.dnsRoutingSet {
		c.dnsRouting = false // naming smart hosts is choosing them over MX
	}
	if !c.authSet && c.usage == UsageInternal && len(c.smartHosts) > 0 {
		c.policy.Auth = auth.SmartHostExchangeServer // seed 003, Table 1
	}
	if c.usage == UsagePartner && !c.domainSecSet {
		c.domainSecure = true
	}
	if !c.sizeSet {
		c.maxMessageSize = DefaultSendMaxMessageSize
		if c.usage == UsageInternal || c.linkedReceive != "" {
			c.maxMessageSize = 0
		}
	}
	c.maxMessageSize = (c.maxMessageSize + 1023) &^ 1023 // whole KB, rounded up
	c.policy.RequireTLS = c.requireTLS
}

// sendUsageACL returns the usage type's default send-side grants (SPEC.md
// decisions, §1.3's 2007–2013 reading of seed 003 Table 1).
func sendUsageACL(u Usage, edge bool) *perms.ACL {
	acl := &perms.ACL{}
	switch u {
	case UsageInternal:
		all := perms.SendRoutingHeaders | perms.SendOrganizationHeaders | perms.SendForestHeaders | perms.SendExch50
		for _, p := range []perms.Principal{perms.HubTransportServers, perms.EdgeTransportServers,
			perms.ExternallySecuredServers, perms.LegacyExchangeServers} {
			acl.Add(p, all)
		}
		if !edge { // "Exchange Servers (on Hub Transport only)"
			acl.Add(perms.ExchangeServersGroup, all)
		}
	case UsageInternet:
		acl.Add(perms.Anonymous, perms.SendRoutingHeaders)
	case UsagePartner:
		acl.Add(perms.PartnerServers, perms.SendRoutingHeaders)
	}
	return acl
}

// defaultRemotePrincipal is who the remote host is, for the send-side
// header firewall, when WithRemotePrincipal is not given.
func defaultRemotePrincipal(u Usage, a auth.SmartHostAuth) perms.Principal {
	switch {
	case a == auth.SmartHostExternalAuthoritative:
		return perms.ExternallySecuredServers
	case a == auth.SmartHostExchangeServer:
		return perms.HubTransportServers
	case u == UsagePartner:
		return perms.PartnerServers
	}
	return perms.Anonymous
}

// Name returns the connector name.
func (c *SendConnector) Name() string { return c.name }

// Usage returns the usage type chosen at creation.
func (c *SendConnector) Usage() Usage { return c.usage }

// AddressSpaces returns the address spaces the connector serves.
func (c *SendConnector) AddressSpaces() []addrspace.AddressSpace {
	return slices.Clone(c.addressSpaces)
}

// SmartHosts returns the smart hosts in order; empty with DNS routing.
func (c *SendConnector) SmartHosts() []SmartHost { return slices.Clone(c.smartHosts) }

// DNSRoutingEnabled reports whether delivery looks up MX records.
func (c *SendConnector) DNSRoutingEnabled() bool { return c.dnsRouting }

// Port returns the TCP port for smart hosts without one, and MX hosts.
func (c *SendConnector) Port() uint16 { return c.port }

// Policy returns the TLS and authentication plan input for a delivery:
// SmartHostAuthMechanism, AuthenticationCredential, RequireTLS,
// TlsAuthLevel, TlsDomain, IgnoreStartTLS and the client certificate.
func (c *SendConnector) Policy() auth.ClientPolicy { return c.policy }

// SmartHostAuth returns SmartHostAuthMechanism.
func (c *SendConnector) SmartHostAuth() auth.SmartHostAuth { return c.policy.Auth }

// RequireTLS reports whether every delivery must use TLS.
func (c *SendConnector) RequireTLS() bool { return c.policy.RequireTLS }

// DomainSecureEnabled reports whether mutual TLS with the partner domain is
// required.
func (c *SendConnector) DomainSecureEnabled() bool { return c.domainSecure }

// UseExternalDNSServersEnabled reports whether MX lookups use the
// transport's external DNS servers.
func (c *SendConnector) UseExternalDNSServersEnabled() bool { return c.useExternalDNS }

// SourceTransportServers returns the servers that deliver through the
// connector; empty means the local server.
func (c *SendConnector) SourceTransportServers() []string { return slices.Clone(c.sourceServers) }

// IsScopedConnector reports whether only servers of the same site use it.
func (c *SendConnector) IsScopedConnector() bool { return c.scoped }

// FQDN returns the EHLO name; empty means the server's FQDN.
func (c *SendConnector) FQDN() string { return c.fqdn }

// MaxMessageSize returns the size limit in bytes; 0 means unlimited.
func (c *SendConnector) MaxMessageSize() int64 { return c.maxMessageSize }

// ConnectionInactivityTimeout returns the idle limit of an open connection.
func (c *SendConnector) ConnectionInactivityTimeout() time.Duration { return c.inactivity }

// SmtpMaxMessagesPerConnection returns how many messages one connection
// carries before it is closed and a new one opened.
func (c *SendConnector) SmtpMaxMessagesPerConnection() int { return c.maxMsgsPerConn }

// Enabled reports whether routing may use the connector.
func (c *SendConnector) Enabled() bool { return c.enabled }

// Comment returns the administrator's comment.
func (c *SendConnector) Comment() string { return c.comment }

// LinkedReceiveConnector returns the linked receive connector's name, or "".
func (c *SendConnector) LinkedReceiveConnector() string { return c.linkedReceive }

// ProtocolLoggingLevel returns the protocol logging level.
func (c *SendConnector) ProtocolLoggingLevel() ProtocolLoggingLevel { return c.protocolLog }

// ACL returns a copy of the send-side permissions (principal → send
// rights). Changing the copy does not change the connector.
func (c *SendConnector) ACL() *perms.ACL { return c.acl.Clone() }

// RemotePrincipal returns the principal the remote host is treated as by
// the send-side header firewall: perms.ExternallySecuredServers for
// ExternalAuthoritative smart-host auth; perms.HubTransportServers for
// ExchangeServer auth (the peer proved to be one of our transport servers;
// Internal usage grants Hub and Edge servers the same rights, so the role
// does not matter); perms.PartnerServers for Partner usage; otherwise
// perms.Anonymous: with None or Basic auth the remote host has not proved
// who it is, which is why the cross-forest procedure grants rights to
// ANONYMOUS LOGON. WithRemotePrincipal overrides it.
func (c *SendConnector) RemotePrincipal() perms.Principal { return c.remotePrincipal }

// RemoteRights returns the send rights the remote principal holds: the
// argument for perms.FilterSend. It does not allocate.
func (c *SendConnector) RemoteRights() perms.Right { return c.acl.Rights(c.remotePrincipal) }

// String returns the connector name.
func (c *SendConnector) String() string { return c.name }
