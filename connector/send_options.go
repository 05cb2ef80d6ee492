package connector

import (
	"crypto/tls"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// sendConfig collects the options of NewSend; errs records options whose
// argument did not parse, reported by NewSend with the parameter name.
type sendConfig struct {
	common
	addressSpaces   []addrspace.AddressSpace
	smartHosts      []SmartHost
	dnsRouting      bool
	dnsRoutingSet   bool
	port            uint16
	policy          auth.ClientPolicy
	authSet         bool
	useExternalDNS  bool
	sourceServers   []string
	scoped          bool
	maxMsgsPerConn  int
	linkedReceive   string
	remotePrincipal perms.Principal
	errs            []error
}

func (c *sendConfig) fail(param string, err error) {
	c.errs = append(c.errs, &ConfigError{Parameter: param,
		Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}})
}

// WithAddressSpaces sets AddressSpaces from parsed values (required unless
// the connector is linked to a receive connector).
func WithAddressSpaces(spaces ...addrspace.AddressSpace) SendOption {
	return funcSend(func(c *sendConfig) { c.addressSpaces = append(c.addressSpaces, spaces...) })
}

// WithAddressSpaceList parses AddressSpaces as written in the cmdlets:
// `*`, "FourthCoffee.com", `"contoso.com;2","Local:fabrikam.com;3"`.
func WithAddressSpaceList(list string) SendOption {
	return funcSend(func(c *sendConfig) {
		s, err := addrspace.ParseList(list)
		if err != nil {
			c.fail("AddressSpaces", err)
			return
		}
		c.addressSpaces = append(c.addressSpaces, s...)
	})
}

// WithSmartHosts routes all mail through these hosts, tried in order.
// Setting smart hosts turns DNS routing off unless WithDNSRouting(true) is
// also given, which is an error.
func WithSmartHosts(hosts ...SmartHost) SendOption {
	return funcSend(func(c *sendConfig) { c.smartHosts = append(c.smartHosts, hosts...) })
}

// WithSmartHostList parses SmartHosts: "Hub01.contoso.com,Hub02.contoso.com",
// "[192.168.1.1]", "mail.contoso.com:587".
func WithSmartHostList(list string) SendOption {
	return funcSend(func(c *sendConfig) {
		h, err := ParseSmartHosts(list)
		if err != nil {
			c.fail("SmartHosts", err)
			return
		}
		c.smartHosts = append(c.smartHosts, h...)
	})
}

// WithDNSRouting sets DNSRoutingEnabled: deliver to the recipient domain's
// MX hosts. Default true when no smart hosts are set.
func WithDNSRouting(on bool) SendOption {
	return funcSend(func(c *sendConfig) { c.dnsRouting, c.dnsRoutingSet = on, true })
}

// WithSmartHostAuth sets SmartHostAuthMechanism. The default is the
// usage's (SPEC.md §1.3 / seed 003 Table 1): ExchangeServer for Internal
// usage with smart hosts, None otherwise.
func WithSmartHostAuth(a auth.SmartHostAuth) SendOption {
	return funcSend(func(c *sendConfig) { c.policy.Auth, c.authSet = a, true })
}

// WithCredentials sets AuthenticationCredential, used by BasicAuth and
// BasicAuthRequireTLS.
func WithCredentials(username, password string) SendOption {
	return funcSend(func(c *sendConfig) {
		c.policy.Credentials = auth.Credentials{Username: username, Password: password}
	})
}

// WithTLSAuthLevel sets TlsAuthLevel; it needs WithRequireTLS(true) and
// no IgnoreStartTLS.
func WithTLSAuthLevel(l auth.TLSAuthLevel) SendOption {
	return funcSend(func(c *sendConfig) { c.policy.TLSAuthLevel = l })
}

// WithTLSDomain sets TlsDomain ("contoso.com" or "*.contoso.com"), the name
// DomainValidation checks; required with DomainValidation.
func WithTLSDomain(d string) SendOption {
	return funcSend(func(c *sendConfig) { c.policy.TLSDomain = d })
}

// WithIgnoreStartTLS never upgrades to TLS even when offered (default off).
func WithIgnoreStartTLS(on bool) SendOption {
	return funcSend(func(c *sendConfig) { c.policy.IgnoreStartTLS = on })
}

// WithClientCertificate sets the certificate presented during STARTTLS
// (ExchangeServer smart-host auth, and mutual TLS). When nil, the transport
// may supply its own.
func WithClientCertificate(cert *tls.Certificate) SendOption {
	return funcSend(func(c *sendConfig) { c.policy.ClientCert = cert })
}

// WithPort sets the TCP port used toward smart hosts that name none, and
// toward MX hosts (default 25).
func WithPort(p uint16) SendOption { return funcSend(func(c *sendConfig) { c.port = p }) }

// WithUseExternalDNSServers sets UseExternalDNSServersEnabled (default
// off); needs DNS routing.
func WithUseExternalDNSServers(on bool) SendOption {
	return funcSend(func(c *sendConfig) { c.useExternalDNS = on })
}

// WithSourceTransportServers sets the servers that may deliver through the
// connector. Default: none listed, meaning the local server.
func WithSourceTransportServers(servers ...string) SendOption {
	return funcSend(func(c *sendConfig) { c.sourceServers = append(c.sourceServers, servers...) })
}

// WithScoped sets IsScopedConnector: usable only by servers of the same
// site (default off).
func WithScoped(on bool) SendOption { return funcSend(func(c *sendConfig) { c.scoped = on }) }

// WithMaxMessagesPerConnection sets SmtpMaxMessagesPerConnection (default
// 20, at least 1).
func WithMaxMessagesPerConnection(n int) SendOption {
	return funcSend(func(c *sendConfig) { c.maxMsgsPerConn = n })
}

// WithLinkedReceiveConnector links the connector to the named receive
// connector: everything received there leaves through this connector. The
// connector then has no address spaces, needs smart hosts and a smart-host
// auth mechanism, and its MaxMessageSize is unlimited (SPEC.md §1.1).
func WithLinkedReceiveConnector(name string) SendOption {
	return funcSend(func(c *sendConfig) { c.linkedReceive = name })
}

// WithRemotePrincipal overrides the principal the remote host is treated as
// by the send-side header firewall (see SendConnector.RemotePrincipal).
func WithRemotePrincipal(p perms.Principal) SendOption {
	return funcSend(func(c *sendConfig) { c.remotePrincipal = p })
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
	return funcSend(func(c *sendConfig) {
		c.permOps = append(c.permOps, permOp{permAdd, p, CrossForestRights(legacy)})
	})
}

func defaultSendConfig() sendConfig {
	return sendConfig{
		common:         common{enabled: true, inactivity: 10 * time.Minute},
		dnsRouting:     true,
		port:           25,
		maxMsgsPerConn: 20,
	}
}
