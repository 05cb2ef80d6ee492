package connector

import (
	"slices"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// Defaults and limits of send connectors.
const (
	DefaultSendMaxMessageSize       = 10 << 20 // 2007/2010 value; Internal usage: unlimited
	DefaultSendInactivityTimeout    = 10 * time.Minute
	DefaultMaxMessagesPerConnection = 20
	maxSize                         = 2147483647
)

// SendConnector is a validated, immutable send connector: where mail for
// its address spaces goes (MX lookup or smart hosts), how the delivery
// authenticates, and which header classes survive toward the remote host.
// Build it from a SendConfig. The accessors are what routing and delivery
// need per message; Config gives every parameter back. Accessor results
// that are slices or ACLs are copies. A *SendConnector is safe for
// concurrent use.
type SendConnector struct {
	cfg             SendConfig
	policy          auth.ClientPolicy
	acl             *perms.ACL
	remotePrincipal perms.Principal
}

// Build validates the configuration and returns the connector, or a
// *ConfigError naming the parameter and wrapping ErrRequired, ErrConflict,
// ErrInvalid or ErrOutOfRange; the most fundamental problem is reported
// first. The connector keeps its own copy of the configuration.
func (c SendConfig) Build() (*SendConnector, error) {
	if err := checkName(c.Name); err != nil {
		return nil, err
	}
	c = c.clone()
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.MaxMessageSize = roundKB(c.MaxMessageSize)
	acl := sendUsageACL(c.Usage, c.Edge)
	if err := applyPermissions(c.Name, acl, c.Permissions, perms.SendRights); err != nil {
		return nil, err
	}
	sc := &SendConnector{cfg: c, policy: c.policy(), acl: acl, remotePrincipal: c.RemotePrincipal}
	if sc.remotePrincipal == "" {
		sc.remotePrincipal = defaultRemotePrincipal(c.Usage, c.SmartHostAuthMechanism)
	}
	sc.remotePrincipal = resolvePrincipal(sc.remotePrincipal)
	return sc, nil
}

// roundKB rounds a size up to whole KB, as the reference system stores
// send connector sizes (1048577 bytes becomes 1025 KB).
func roundKB(n int64) int64 { return (n + 1023) &^ 1023 }

func (c *SendConfig) policy() auth.ClientPolicy {
	return auth.ClientPolicy{
		Auth: c.SmartHostAuthMechanism, Credentials: c.AuthenticationCredential.auth(),
		RequireTLS: c.RequireTLS, TLSAuthLevel: c.TlsAuthLevel, TLSDomain: c.TlsDomain,
		IgnoreStartTLS: c.IgnoreSTARTTLS, ClientCert: c.ClientCertificate,
	}
}

// Config returns a copy of the connector's configuration, MaxMessageSize
// rounded to whole KB: the starting point of a Set-SendConnector. Building
// it again gives an equal connector.
func (c *SendConnector) Config() SendConfig { return c.cfg.clone() }

// sendUsageACL returns the usage type's default send-side grants: the
// 2007–2013 ones, which seed 003's Table 1 lists.
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
// header firewall, when SendConfig.RemotePrincipal is empty.
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
func (c *SendConnector) Name() string { return c.cfg.Name }

// Policy returns the TLS and authentication plan input for a delivery:
// SmartHostAuthMechanism, AuthenticationCredential, RequireTLS,
// TlsAuthLevel, TlsDomain, IgnoreStartTLS and the client certificate.
func (c *SendConnector) Policy() auth.ClientPolicy { return c.policy }

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
// ANONYMOUS LOGON. SendConfig.RemotePrincipal overrides it.
func (c *SendConnector) RemotePrincipal() perms.Principal { return c.remotePrincipal }

// RemoteRights returns the send rights the remote principal holds: the
// rights perms.Filter applies on Send. It does not allocate.
func (c *SendConnector) RemoteRights() perms.Right { return c.acl.Rights(c.remotePrincipal) }

// ConnectionInactivityTimeout returns the idle limit of an open connection.
func (c *SendConnector) ConnectionInactivityTimeout() time.Duration {
	return c.cfg.ConnectionInactivityTimeOut
}

// DaneEnabled reports whether delivery may authenticate next hops by
// DANE TLSA records (a hubedge extension).
func (c *SendConnector) DaneEnabled() bool { return c.cfg.DaneEnabled }

// FQDN returns the EHLO name; empty means the server's FQDN.
func (c *SendConnector) FQDN() string { return c.cfg.Fqdn }

// MaxMessageSize returns the size limit in bytes; 0 means unlimited.
func (c *SendConnector) MaxMessageSize() int64 { return c.cfg.MaxMessageSize }

// MtaStsEnabled reports whether delivery applies the recipient domain's
// MTA-STS policy (a hubedge extension).
func (c *SendConnector) MtaStsEnabled() bool { return c.cfg.MtaStsEnabled }

// Port returns the TCP port for smart hosts without one, and MX hosts.
func (c *SendConnector) Port() uint16 { return c.cfg.Port }

// ProtocolLoggingLevel returns the protocol logging level.
func (c *SendConnector) ProtocolLoggingLevel() ProtocolLoggingLevel {
	return c.cfg.ProtocolLoggingLevel
}

// SmartHosts returns the smart hosts in order; empty with DNS routing.
func (c *SendConnector) SmartHosts() []SmartHost { return slices.Clone(c.cfg.SmartHosts) }

// SmtpMaxMessagesPerConnection returns how many messages one connection
// carries before it is closed and a new one opened.
func (c *SendConnector) SmtpMaxMessagesPerConnection() int { return c.cfg.SmtpMaxMessagesPerConnection }

// SourceTransportServers returns the servers that deliver through the
// connector; empty means the local server.
func (c *SendConnector) SourceTransportServers() []string {
	return slices.Clone(c.cfg.SourceTransportServers)
}

// UseExternalDNSServersEnabled reports whether MX lookups use the
// transport's external DNS servers.
func (c *SendConnector) UseExternalDNSServersEnabled() bool {
	return c.cfg.UseExternalDNSServersEnabled
}

// AddressSpaces returns the address spaces the connector serves.
func (c *SendConnector) AddressSpaces() []addrspace.AddressSpace {
	return slices.Clone(c.cfg.AddressSpaces)
}

// Enabled reports whether routing may use the connector.
func (c *SendConnector) Enabled() bool { return c.cfg.Enabled }

// LinkedReceiveConnector returns the linked receive connector's name, or "".
func (c *SendConnector) LinkedReceiveConnector() string { return c.cfg.LinkedReceiveConnector }

// String returns the connector name.
func (c *SendConnector) String() string { return c.cfg.Name }
