package connector

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// Unlimited is the value of a size or count field that has no limit: a
// send connector's MaxMessageSize, a receive connector's
// MaxInboundConnection, MaxInboundConnectionPerSource and
// MaxProtocolErrors. The reference system spells it "unlimited".
const Unlimited = 0

// SendConfig is a send connector as an administrator declares it with
// New-SendConnector: plain data whose field names are the cmdlet's
// parameter names, so a configuration can be built, copied, compared
// (with reflect.DeepEqual: it holds slices) and replaced as a value.
// Start from NewSendConfig, which applies the usage type's defaults, set
// what the command sets, and call Build for the validated connector;
// (*SendConnector).Config gives the configuration back.
type SendConfig struct {
	Name  string // required, at most 64 characters
	Usage Usage  // chosen at creation; selects the defaults of NewSendConfig
	// Edge marks a connector of an Edge Transport server: SMTP address
	// spaces only, and Internal usage's default send rights leave out the
	// Exchange Servers group. No default value depends on it, so there is
	// no Edge variant of NewSendConfig.
	Edge bool

	AddressSpaces []addrspace.AddressSpace // required unless LinkedReceiveConnector is set
	SmartHosts    []SmartHost              // tried in order; needs DNSRoutingEnabled false
	// DNSRoutingEnabled delivers to the recipient domain's MX hosts; it and
	// SmartHosts exclude each other.
	DNSRoutingEnabled bool
	// SmartHostAuthMechanism is how delivery authenticates to smart hosts.
	SmartHostAuthMechanism auth.SmartHostAuth
	// AuthenticationCredential is used by BasicAuth and BasicAuthRequireTLS.
	AuthenticationCredential Credential
	RequireTLS               bool              // every delivery uses TLS; needs smart hosts
	IgnoreSTARTTLS           bool              // never upgrade, even when offered
	TlsAuthLevel             auth.TLSAuthLevel // needs RequireTLS
	TlsDomain                string            // checked by DomainValidation: "contoso.com", "*.contoso.com"
	// ClientCertificate is presented during STARTTLS (ExchangeServer
	// smart-host auth and mutual TLS); nil lets the transport supply its
	// own. It is never marshalled: a private key is no configuration text.
	ClientCertificate            *tls.Certificate `json:"-"`
	DomainSecureEnabled          bool             // mutual TLS with a partner domain; needs DNS routing
	UseExternalDNSServersEnabled bool             // MX lookups use the external DNS servers; needs DNS routing
	SourceTransportServers       []string         // empty means the local server
	IsScopedConnector            bool             // only servers of the same site use it
	Fqdn                         string           // EHLO name; empty means the server's FQDN
	Port                         uint16           // toward smart hosts that name none, and MX hosts; 1-65535
	// MaxMessageSize is in bytes, Unlimited (0) for no limit, at most
	// 2147483647. Build rounds it up to whole KB as the reference system
	// does.
	MaxMessageSize               int64
	ConnectionInactivityTimeOut  time.Duration // 1 s to 1 day
	SmtpMaxMessagesPerConnection int           // at least 1
	Enabled                      bool          // routing ignores a disabled connector
	Comment                      string
	// LinkedReceiveConnector sends everything received on the named
	// receive connector through this one; the connector then has no
	// address spaces, routes through smart hosts and has no size limit.
	LinkedReceiveConnector string
	ProtocolLoggingLevel   ProtocolLoggingLevel
	// Permissions are applied in order after the usage type's default
	// send rights.
	Permissions []Permission
	// DaneEnabled lets delivery authenticate next hops by their TLSA
	// records (RFC 7672), and MtaStsEnabled by their domain's MTA-STS
	// policy (RFC 8461). NewSendConfig turns both on for Internet usage
	// only: the other usages reach hosts of the organization or of a
	// partner, whose TLS the connector's own settings already name.
	// hubedge extensions, not reference-system parameters.
	DaneEnabled   bool
	MtaStsEnabled bool
	// RemotePrincipal, when set, replaces the principal the remote host is
	// treated as by the send-side header firewall (see
	// SendConnector.RemotePrincipal). Not a reference-system parameter.
	RemotePrincipal perms.Principal
}

// ReceiveConfig is a receive connector as an administrator declares it
// with New-ReceiveConnector, as plain data with the cmdlet's parameter
// names. Start from NewReceiveConfig (or NewEdgeReceiveConfig on an Edge
// server), which applies the usage type's defaults, and call Build.
// (*ReceiveConnector).Config gives the configuration back.
type ReceiveConfig struct {
	Name string // required, at most 64 characters
	// Server is the server the connector belongs to (-Server); empty means
	// the local one. Build does not interpret it.
	Server string
	Usage  Usage // chosen at creation; selects the defaults of NewReceiveConfig
	// Edge marks a connector of an Edge Transport server: no Client usage
	// and no ExchangeUsers or ExchangeLegacyServers permission groups.
	Edge bool

	Bindings         []netip.AddrPort // local IP:port pairs; required
	RemoteIPRanges   []IPRange        // remote addresses served; required; nested or disjoint
	AuthMechanism    auth.Mechanism
	PermissionGroups perms.Group
	// Permissions are applied in order after the permission groups' rights.
	Permissions []Permission
	Banner      string // one line starting "220 "; empty means the server's default
	Fqdn        string // banner, EHLO reply and Received name; empty means the server's FQDN

	MaxMessageSize                int64 // bytes, 65536 to 2147483647
	MaxHeaderSize                 int64 // bytes, 1 to 2147483647
	MaxRecipientsPerMessage       int   // 1 to 512000
	MaxHopCount                   int   // Received fields, 1 to 500
	MaxLocalHopCount              int   // 0 to 50; 0 never rejects on local hops
	MaxInboundConnection          int   // 1 to 2147483647, or Unlimited
	MaxInboundConnectionPerSource int   // 1 to 10000, or Unlimited
	MaxProtocolErrors             int   // 0 (Unlimited) to 2147483647
	MaxLogonFailures              int   // 0 to 10; 0 never disconnects
	// TarpitInterval delays replies to abusive unauthenticated hosts;
	// 0 to 10 min, 0 disables.
	TarpitInterval              time.Duration
	ConnectionTimeout           time.Duration // absolute session limit, 1 s to 1 day
	ConnectionInactivityTimeout time.Duration // 1 s to 1 day, shorter than ConnectionTimeout

	RequireTLS           bool // needs the Tls auth mechanism
	RequireEHLODomain    bool
	DomainSecureEnabled  bool // needs Tls and not ExternalAuthoritative
	ProtocolLoggingLevel ProtocolLoggingLevel
	Enabled              bool
	Comment              string

	// AllowOpenRelay lets Build accept a connector that relays for every
	// address: ExternalAuthoritative, or Accept-Any-Recipient for anonymous
	// sessions, with remote ranges covering a whole address family.
	// hubedge refuses those by default (ErrOpenRelay); the reference
	// system does not.
	AllowOpenRelay bool
	// DenyAnonymousAuthoritativeSender withdraws Accept-Authoritative-
	// Domain-Sender from anonymous sessions after the permissions, so
	// Internet senders cannot use our own domains in MAIL FROM: the usual
	// hardening of an Internet-facing connector.
	DenyAnonymousAuthoritativeSender bool
}

// Permission is one explicit permission entry of a connector:
// Add-ADPermission -User U -ExtendedRights R (with Deny: -Deny), or with
// Remove set, Remove-ADPermission, which withdraws a grant (or with Deny
// too, a denial). Send connectors take send rights only, receive
// connectors receive rights only. A user without an authority ("ANONYMOUS
// LOGON") names the well-known principal of that name.
type Permission struct {
	User           perms.Principal
	ExtendedRights perms.Right
	Deny           bool
	Remove         bool
}

// Credential is a send connector's AuthenticationCredential. Printing it
// (fmt verbs, slog) and marshalling it to JSON give the user name only, so
// configurations can be logged and shown without their secrets.
type Credential struct {
	UserName string
	Password string
}

// IsZero reports whether neither a user name nor a password is set.
func (c Credential) IsZero() bool { return c == Credential{} }

func (c Credential) auth() auth.Credentials {
	return auth.Credentials{Username: c.UserName, Password: c.Password}
}

// String returns the user name, and "REDACTED" for a password that is set.
func (c Credential) String() string {
	if c.Password == "" {
		return c.UserName
	}
	return c.UserName + " (password REDACTED)"
}

// GoString keeps %#v from printing the password.
func (c Credential) GoString() string {
	return fmt.Sprintf("connector.Credential{UserName: %q, Password: REDACTED}", c.UserName)
}

// LogValue implements slog.LogValuer with the user name only.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes {"UserName": ...}; the password is never marshalled.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ UserName string }{c.UserName})
}

// NewSendConfig returns the configuration New-SendConnector -Name name
// -Usage u creates before its other parameters: DNS routing on port 25,
// MaxMessageSize 10 MB, ConnectionInactivityTimeOut 10 min,
// SmtpMaxMessagesPerConnection 20, enabled. Internal usage routes through
// smart hosts with ExchangeServer authentication and no size limit (set
// SmartHosts); Partner usage turns DomainSecureEnabled on.
func NewSendConfig(name string, u Usage) SendConfig {
	c := SendConfig{
		Name: name, Usage: u,
		DNSRoutingEnabled:            true,
		Port:                         25,
		MaxMessageSize:               DefaultSendMaxMessageSize,
		ConnectionInactivityTimeOut:  DefaultSendInactivityTimeout,
		SmtpMaxMessagesPerConnection: DefaultMaxMessagesPerConnection,
		Enabled:                      true,
	}
	switch u {
	case UsageInternal:
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostExchangeServer
		c.MaxMessageSize = Unlimited
	case UsagePartner:
		c.DomainSecureEnabled = true
	case UsageInternet:
		c.DaneEnabled, c.MtaStsEnabled = true, true
	}
	return c
}

// NewReceiveConfig returns the configuration New-ReceiveConnector -Name
// name -Usage u creates on a Hub server before its other parameters: the
// usage type's PermissionGroups and AuthMechanism, its fixed binding
// (Internal 0.0.0.0:25, Client 0.0.0.0:587) or remote range (Internet
// 0.0.0.0-255.255.255.255; IPv6 senders are added on purpose), and the
// Default* limits. Integrated authentication is left out of Client's
// mechanisms because hubedge does not implement it.
func NewReceiveConfig(name string, u Usage) ReceiveConfig {
	return newReceiveConfig(name, u, false)
}

// NewEdgeReceiveConfig is NewReceiveConfig on an Edge Transport server:
// ConnectionTimeout 5 min, ConnectionInactivityTimeout 1 min, and Internal
// usage grants ExchangeServers only.
func NewEdgeReceiveConfig(name string, u Usage) ReceiveConfig {
	return newReceiveConfig(name, u, true)
}

func newReceiveConfig(name string, u Usage, edge bool) ReceiveConfig {
	c := ReceiveConfig{
		Name: name, Usage: u, Edge: edge,
		AuthMechanism:                 auth.TLS,
		PermissionGroups:              perms.NoGroups,
		MaxMessageSize:                DefaultReceiveMaxMessageSize,
		MaxHeaderSize:                 DefaultMaxHeaderSize,
		MaxRecipientsPerMessage:       DefaultMaxRecipientsPerMessage,
		MaxHopCount:                   DefaultMaxHopCount,
		MaxLocalHopCount:              DefaultMaxLocalHopCount,
		MaxInboundConnection:          DefaultMaxInboundConnection,
		MaxInboundConnectionPerSource: DefaultMaxInboundConnectionPerSource,
		MaxProtocolErrors:             DefaultMaxProtocolErrors,
		MaxLogonFailures:              DefaultMaxLogonFailures,
		TarpitInterval:                DefaultTarpitInterval,
		ConnectionTimeout:             DefaultConnectionTimeout,
		ConnectionInactivityTimeout:   DefaultReceiveInactivityTimeout,
		Enabled:                       true,
	}
	if edge {
		c.ConnectionTimeout = DefaultEdgeConnectionTimeout
		c.ConnectionInactivityTimeout = DefaultEdgeReceiveInactivityTimeout
	}
	switch u {
	case UsageClient:
		c.PermissionGroups = perms.ExchangeUsers
		c.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS
		c.Bindings = []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), 587)}
	case UsageInternal:
		c.PermissionGroups = perms.ExchangeServers | perms.ExchangeLegacyServers
		if edge {
			c.PermissionGroups = perms.ExchangeServers
		}
		c.AuthMechanism = auth.TLS | auth.ExchangeServer
		c.Bindings = []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), 25)}
	case UsageInternet:
		c.PermissionGroups = perms.AnonymousUsers
		c.RemoteIPRanges = []IPRange{AllIPv4}
	case UsagePartner:
		c.PermissionGroups = perms.Partners
	}
	return c
}

// clone copies the slices so that the copy shares no memory with c.
func (c SendConfig) clone() SendConfig {
	c.AddressSpaces = slices.Clone(c.AddressSpaces)
	c.SmartHosts = slices.Clone(c.SmartHosts)
	c.SourceTransportServers = slices.Clone(c.SourceTransportServers)
	c.Permissions = slices.Clone(c.Permissions)
	return c
}

func (c ReceiveConfig) clone() ReceiveConfig {
	c.Bindings = slices.Clone(c.Bindings)
	c.RemoteIPRanges = slices.Clone(c.RemoteIPRanges)
	c.Permissions = slices.Clone(c.Permissions)
	return c
}
