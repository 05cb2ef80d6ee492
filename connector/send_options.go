package connector

import (
	"crypto/tls"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// sendState is a SendConfig under construction by NewSend's options; set
// records what the options chose, so inferred defaults fill in only the
// rest.
type sendState struct {
	cfg SendConfig
	set optionsSet
	optionErrs
}

// resolve fills what the options left out from the usage's defaults and
// from the other parameters, as New-SendConnector does.
func (c *sendState) resolve() (SendConfig, error) {
	cfg, d := c.cfg, NewSendConfig(c.cfg.Name, c.cfg.Usage)
	smart := len(cfg.SmartHosts) > 0
	if !c.set.dnsRouting {
		cfg.DNSRoutingEnabled = !smart // naming smart hosts is choosing them over MX
	}
	if !c.set.auth && smart {
		cfg.SmartHostAuthMechanism = d.SmartHostAuthMechanism // seed 003, Table 1
	}
	if !c.set.domainSecure {
		cfg.DomainSecureEnabled = d.DomainSecureEnabled
	}
	if !c.set.dane {
		cfg.DaneEnabled = d.DaneEnabled
	}
	if !c.set.mtaSts {
		cfg.MtaStsEnabled = d.MtaStsEnabled
	}
	if !c.set.size {
		cfg.MaxMessageSize = d.MaxMessageSize
		if cfg.LinkedReceiveConnector != "" {
			cfg.MaxMessageSize = Unlimited
		}
	}
	// A SendConfig cannot tell an explicit None from no choice, so only the
	// options check this; Build reports the address-space and smart-host
	// faults of a linked connector first.
	if cfg.LinkedReceiveConnector != "" && !c.set.auth && len(cfg.AddressSpaces) == 0 && smart {
		return cfg, configErr(cfg.Name, "SmartHostAuthMechanism", ErrRequired, "a linked connector needs an explicit mechanism")
	}
	return cfg, nil
}

// WithAddressSpaces sets AddressSpaces from parsed values (required unless
// the connector is linked to a receive connector).
func WithAddressSpaces(spaces ...addrspace.AddressSpace) SendOption {
	return funcSend(func(c *sendState) { c.cfg.AddressSpaces = append(c.cfg.AddressSpaces, spaces...) })
}

// WithAddressSpaceList parses AddressSpaces as written in the cmdlets:
// `*`, "FourthCoffee.com", `"contoso.com;2","Local:fabrikam.com;3"`.
func WithAddressSpaceList(list string) SendOption {
	return funcSend(func(c *sendState) {
		s, err := addrspace.ParseList(list)
		if err != nil {
			c.fail("AddressSpaces", err)
			return
		}
		c.cfg.AddressSpaces = append(c.cfg.AddressSpaces, s...)
	})
}

// WithSmartHosts routes all mail through these hosts, tried in order.
// Setting smart hosts turns DNS routing off unless WithDNSRouting(true) is
// also given, which is an error.
func WithSmartHosts(hosts ...SmartHost) SendOption {
	return funcSend(func(c *sendState) { c.cfg.SmartHosts = append(c.cfg.SmartHosts, hosts...) })
}

// WithSmartHostList parses SmartHosts: "Hub01.contoso.com,Hub02.contoso.com",
// "[192.168.1.1]", "mail.contoso.com:587".
func WithSmartHostList(list string) SendOption {
	return funcSend(func(c *sendState) {
		h, err := ParseSmartHosts(list)
		if err != nil {
			c.fail("SmartHosts", err)
			return
		}
		c.cfg.SmartHosts = append(c.cfg.SmartHosts, h...)
	})
}

// WithDNSRouting sets DNSRoutingEnabled: deliver to the recipient domain's
// MX hosts. Default true when no smart hosts are set.
func WithDNSRouting(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.DNSRoutingEnabled, c.set.dnsRouting = on, true })
}

// WithSmartHostAuth sets SmartHostAuthMechanism. The default is the
// usage's: ExchangeServer for Internal
// usage with smart hosts, None otherwise.
func WithSmartHostAuth(a auth.SmartHostAuth) SendOption {
	return funcSend(func(c *sendState) { c.cfg.SmartHostAuthMechanism, c.set.auth = a, true })
}

// WithCredentials sets AuthenticationCredential, used by BasicAuth and
// BasicAuthRequireTLS.
func WithCredentials(username, password string) SendOption {
	return funcSend(func(c *sendState) {
		c.cfg.AuthenticationCredential = Credential{UserName: username, Password: password}
	})
}

// WithTLSAuthLevel sets TlsAuthLevel; it needs WithRequireTLS(true) and
// no IgnoreStartTLS.
func WithTLSAuthLevel(l auth.TLSAuthLevel) SendOption {
	return funcSend(func(c *sendState) { c.cfg.TlsAuthLevel = l })
}

// WithTLSDomain sets TlsDomain ("contoso.com" or "*.contoso.com"), the name
// DomainValidation checks; required with DomainValidation.
func WithTLSDomain(d string) SendOption {
	return funcSend(func(c *sendState) { c.cfg.TlsDomain = d })
}

// WithDANE sets DaneEnabled (on by default for Internet usage only).
func WithDANE(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.DaneEnabled, c.set.dane = on, true })
}

// WithMTASTS sets MtaStsEnabled (on by default for Internet usage only).
func WithMTASTS(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.MtaStsEnabled, c.set.mtaSts = on, true })
}

// WithIgnoreStartTLS never upgrades to TLS even when offered (default off).
func WithIgnoreStartTLS(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.IgnoreSTARTTLS = on })
}

// WithClientCertificate sets the certificate presented during STARTTLS
// (ExchangeServer smart-host auth, and mutual TLS). When nil, the transport
// may supply its own.
func WithClientCertificate(cert *tls.Certificate) SendOption {
	return funcSend(func(c *sendState) { c.cfg.ClientCertificate = cert })
}

// WithPort sets the TCP port used toward smart hosts that name none, and
// toward MX hosts (default 25).
func WithPort(p uint16) SendOption { return funcSend(func(c *sendState) { c.cfg.Port = p }) }

// WithUseExternalDNSServers sets UseExternalDNSServersEnabled (default
// off); needs DNS routing.
func WithUseExternalDNSServers(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.UseExternalDNSServersEnabled = on })
}

// WithSourceTransportServers sets the servers that may deliver through the
// connector. Default: none listed, meaning the local server.
func WithSourceTransportServers(servers ...string) SendOption {
	return funcSend(func(c *sendState) { c.cfg.SourceTransportServers = append(c.cfg.SourceTransportServers, servers...) })
}

// WithScoped sets IsScopedConnector: usable only by servers of the same
// site (default off).
func WithScoped(on bool) SendOption {
	return funcSend(func(c *sendState) { c.cfg.IsScopedConnector = on })
}

// WithMaxMessagesPerConnection sets SmtpMaxMessagesPerConnection (default
// 20, at least 1).
func WithMaxMessagesPerConnection(n int) SendOption {
	return funcSend(func(c *sendState) { c.cfg.SmtpMaxMessagesPerConnection = n })
}

// WithLinkedReceiveConnector links the connector to the named receive
// connector: everything received there leaves through this connector. The
// connector then has no address spaces, needs smart hosts and a smart-host
// auth mechanism, and its MaxMessageSize is unlimited.
func WithLinkedReceiveConnector(name string) SendOption {
	return funcSend(func(c *sendState) { c.cfg.LinkedReceiveConnector = name })
}

// WithRemotePrincipal overrides the principal the remote host is treated as
// by the send-side header firewall (see SendConnector.RemotePrincipal).
func WithRemotePrincipal(p perms.Principal) SendOption {
	return funcSend(func(c *sendState) { c.cfg.RemotePrincipal = p })
}

// CrossForestRights are the rights Enable-CrossForestConnector grants:
// the three send header rights, plus SendExch50 for a legacy (Exchange
// 2003, -genericMTA) peer.
func CrossForestRights(legacy bool) perms.Right {
	r := perms.SendRoutingHeaders | perms.SendOrganizationHeaders | perms.SendForestHeaders
	if legacy {
		r |= perms.SendExch50
	}
	return r
}

// EnableCrossForest grants CrossForestRights(legacy) to p on acl, as the
// reference system's Enable-CrossForestConnector.ps1 script does for the
// principal the other forest's servers are seen as (usually
// perms.Anonymous).
func EnableCrossForest(acl *perms.ACL, p perms.Principal, legacy bool) {
	acl.Add(p, CrossForestRights(legacy))
}

// WithCrossForest is EnableCrossForest at construction:
//
//	Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON" [-genericMTA]
func WithCrossForest(p perms.Principal, legacy bool) SendOption {
	return funcSend(func(c *sendState) {
		c.cfg.Permissions = append(c.cfg.Permissions, Permission{User: p, ExtendedRights: CrossForestRights(legacy)})
	})
}
