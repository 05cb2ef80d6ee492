package cmdlet

import (
	"slices"
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/routing"
)

// Config is what a script describes: connectors, accepted domains and the
// transport settings. It is an immutable value: Apply returns a new Config
// and never changes the one it starts from, so a server can keep serving
// one Config while it reads the next, compare them, and swap.
type Config struct {
	SendConnectors    []*SendConnector
	ReceiveConnectors []*ReceiveConnector
	AcceptedDomains   []AcceptedDomain
	TransportServer   TransportServer
	TransportConfig   TransportConfig

	// The anti-spam agents' settings (Set-ContentFilterConfig,
	// Add-IPBlockListEntry, Set-SenderFilterConfig, ...).
	ContentFilter   ContentFilterConfig
	SenderFilter    SenderFilterConfig
	RecipientFilter RecipientFilterConfig
	SenderID        SenderIDConfig
	IPBlockList     IPList
	IPAllowList     IPList
}

// SendConnector is one send connector of a Config: its declaration, the
// connector built from it, and the name of the credential variable that
// -AuthenticationCredential used ("" when none).
type SendConnector struct {
	Config        connector.SendConfig
	Connector     *connector.SendConnector
	CredentialVar string
}

// ReceiveConnector is one receive connector of a Config. Config.Server is
// the -Server it was created for; see ForServer.
type ReceiveConnector struct {
	Config    connector.ReceiveConfig
	Connector *connector.ReceiveConnector
}

// AcceptedDomain is one accepted domain of a Config (New-AcceptedDomain).
type AcceptedDomain struct {
	Name string
	routing.AcceptedDomain
}

// Unlimited is the value of a Limit that has no limit; the reference system
// writes it "unlimited" and the JSON form null.
const Unlimited Limit = -1

// Limit is a size in bytes or a count that may be Unlimited.
type Limit int64

// TransportServer holds the Set-TransportServer settings: retry and expiry
// timers, the delay DSN timeout, outbound connection limits and log paths.
// Identity is the server the last Set-TransportServer named.
type TransportServer struct {
	Identity                               string
	TransientFailureRetryCount             int
	TransientFailureRetryInterval          time.Duration
	OutboundConnectionFailureRetryInterval time.Duration
	MessageRetryInterval                   time.Duration
	MessageExpirationTimeout               time.Duration
	DelayNotificationTimeout               time.Duration
	QueueMaxIdleTime                       time.Duration
	MaxOutboundConnections                 Limit
	MaxPerDomainOutboundConnections        Limit
	PoisonThreshold                        int
	ReceiveProtocolLogPath                 string
	SendProtocolLogPath                    string
	MessageTrackingLogPath                 string
	// MessageTrackingLogSubjectLoggingEnabled writes subjects in the
	// message tracking log (default true).
	MessageTrackingLogSubjectLoggingEnabled bool
	PickupDirectoryPath                     string
}

// TransportConfig holds the organization-wide Set-TransportConfig limits.
type TransportConfig struct {
	MaxReceiveSize            Limit
	MaxSendSize               Limit
	MaxRecipientEnvelopeLimit Limit
}

// DefaultTransportServer returns the settings of a server nobody has
// changed: the reference system's Hub values, or the Edge values where
// they differ (TransientFailureRetryInterval 10 min,
// OutboundConnectionFailureRetryInterval 30 min).
func DefaultTransportServer(edge bool) TransportServer {
	t := TransportServer{
		TransientFailureRetryCount:              6,
		TransientFailureRetryInterval:           5 * time.Minute,
		OutboundConnectionFailureRetryInterval:  10 * time.Minute,
		MessageRetryInterval:                    time.Minute,
		MessageExpirationTimeout:                48 * time.Hour,
		DelayNotificationTimeout:                4 * time.Hour,
		QueueMaxIdleTime:                        3 * time.Minute,
		MaxOutboundConnections:                  1000,
		MaxPerDomainOutboundConnections:         20,
		PoisonThreshold:                         2,
		MessageTrackingLogSubjectLoggingEnabled: true,
	}
	if edge {
		t.TransientFailureRetryInterval = 10 * time.Minute
		t.OutboundConnectionFailureRetryInterval = 30 * time.Minute
	}
	return t
}

// DefaultTransportConfig returns the organization defaults: 10 MB each way
// and 5000 recipients per message.
func DefaultTransportConfig() TransportConfig {
	return TransportConfig{MaxReceiveSize: 10 << 20, MaxSendSize: 10 << 20, MaxRecipientEnvelopeLimit: 5000}
}

// NewConfig returns an empty configuration with the default transport
// settings of a Hub (or, with edge, an Edge) server.
func NewConfig(edge bool) *Config {
	c := &Config{TransportServer: DefaultTransportServer(edge), TransportConfig: DefaultTransportConfig()}
	defaultAntispam(c)
	return c
}

// clone copies the slices; the connectors they point to are immutable.
func (c *Config) clone() *Config {
	n := *c
	n.SendConnectors = slices.Clone(c.SendConnectors)
	n.ReceiveConnectors = slices.Clone(c.ReceiveConnectors)
	n.AcceptedDomains = slices.Clone(c.AcceptedDomains)
	n.IPBlockList, n.IPAllowList = c.IPBlockList.clone(), c.IPAllowList.clone()
	return &n
}

// SendConnector returns the send connector named name (case-insensitive).
func (c *Config) SendConnector(name string) *SendConnector {
	if i := c.sendIndex(name); i >= 0 {
		return c.SendConnectors[i]
	}
	return nil
}

// ReceiveConnector returns the receive connector with this identity: its
// name, or "Server\Name".
func (c *Config) ReceiveConnector(identity string) *ReceiveConnector {
	if i := c.receiveIndex(identity); i >= 0 {
		return c.ReceiveConnectors[i]
	}
	return nil
}

func (c *Config) sendIndex(name string) int {
	return slices.IndexFunc(c.SendConnectors, func(s *SendConnector) bool { return strings.EqualFold(s.Config.Name, name) })
}

func (c *Config) receiveIndex(identity string) int {
	server, name, ok := strings.Cut(identity, `\`)
	if !ok {
		name, server = identity, ""
	}
	return slices.IndexFunc(c.ReceiveConnectors, func(r *ReceiveConnector) bool {
		return strings.EqualFold(r.Config.Name, name) && (server == "" || routing.SameServer(server, r.Config.Server))
	})
}

func (c *Config) domainIndex(identity string) int {
	return slices.IndexFunc(c.AcceptedDomains, func(d AcceptedDomain) bool {
		return strings.EqualFold(d.Name, identity) || strings.EqualFold(d.Domain, identity)
	})
}

// ForServer returns the connectors that the server named server runs:
// receive connectors created for it (-Server) or for no particular server,
// and send connectors whose SourceTransportServers name it or are empty.
// An empty server takes every connector.
func (c *Config) ForServer(server string) (send []*SendConnector, receive []*ReceiveConnector) {
	for _, s := range c.SendConnectors {
		if server == "" || len(s.Config.SourceTransportServers) == 0 ||
			slices.ContainsFunc(s.Config.SourceTransportServers, func(n string) bool { return routing.SameServer(n, server) }) {
			send = append(send, s)
		}
	}
	for _, r := range c.ReceiveConnectors {
		if server == "" || r.Config.Server == "" || routing.SameServer(r.Config.Server, server) {
			receive = append(receive, r)
		}
	}
	return send, receive
}
