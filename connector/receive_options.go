package connector

import (
	"net/netip"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// Defaults of receive connectors: Hub values, and Edge values where the
// name says so (NewEdgeReceiveConfig, WithEdgeDefaults).
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

// receiveState is a ReceiveConfig under construction by NewReceive's
// options; see sendState.
type receiveState struct {
	cfg ReceiveConfig
	set optionsSet
	optionErrs
}

// WithBindings sets the local IP:port pairs the connector listens on.
// Default: 0.0.0.0:25 for Internal usage, 0.0.0.0:587 for Client; required
// otherwise.
func WithBindings(b ...netip.AddrPort) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.Bindings = append(c.cfg.Bindings, b...) })
}

// WithBindingList parses bindings: "10.1.1.1:25", "0.0.0.0:25,[::]:25".
func WithBindingList(list string) ReceiveOption {
	return funcReceive(func(c *receiveState) {
		b, err := ParseBindings(list)
		if err != nil {
			c.fail("Bindings", err)
			return
		}
		c.cfg.Bindings = append(c.cfg.Bindings, b...)
	})
}

// WithRemoteIPRanges sets the remote addresses the connector serves.
// Default: 0.0.0.0-255.255.255.255 for Internet usage (IPv6 senders must be
// added on purpose, as seed 001 advises); required otherwise.
func WithRemoteIPRanges(r ...IPRange) ReceiveOption {
	return funcReceive(func(c *receiveState) {
		c.cfg.RemoteIPRanges, c.set.ranges = append(c.cfg.RemoteIPRanges, r...), true
	})
}

// WithRemoteIPRangeList parses RemoteIPRanges: "192.168.5.10,192.168.5.20",
// "192.168.1.0/24", "10.0.0.1-10.0.0.9".
func WithRemoteIPRangeList(list string) ReceiveOption {
	return funcReceive(func(c *receiveState) {
		r, err := ParseIPRanges(list)
		if err != nil {
			c.fail("RemoteIPRanges", err)
			return
		}
		c.cfg.RemoteIPRanges, c.set.ranges = append(c.cfg.RemoteIPRanges, r...), true
	})
}

// WithAuthMechanism sets AuthMechanism, replacing the usage default.
// The set must pass auth.Mechanism.Validate.
func WithAuthMechanism(m auth.Mechanism) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.AuthMechanism, c.set.auth = m, true })
}

// WithPermissionGroups sets PermissionGroups, replacing the usage default.
func WithPermissionGroups(g perms.Group) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.PermissionGroups, c.set.groups = g, true })
}

// WithBanner sets the SMTP greeting; it must start with "220". Default:
// empty, meaning "220 <fqdn> ..." chosen by the server.
func WithBanner(s string) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.Banner = s })
}

// WithMaxHeaderSize sets MaxHeaderSize in bytes (default 256 KB).
func WithMaxHeaderSize(n int64) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxHeaderSize = n })
}

// WithMaxRecipientsPerMessage sets MaxRecipientsPerMessage (default 200,
// range 1–512000); further RCPTs get 452 4.5.3.
func WithMaxRecipientsPerMessage(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxRecipientsPerMessage = n })
}

// WithMaxInboundConnection sets MaxInboundConnection (default 5000; 0
// means unlimited).
func WithMaxInboundConnection(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxInboundConnection = n })
}

// WithMaxInboundConnectionPerSource sets MaxInboundConnectionPerSource
// (default 20, range 1–10000; 0 means unlimited).
func WithMaxInboundConnectionPerSource(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxInboundConnectionPerSource = n })
}

// WithConnectionTimeout sets the absolute session limit (default 10 min,
// Edge 5 min; 1 s to 1 day; longer than the inactivity timeout).
func WithConnectionTimeout(d time.Duration) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.ConnectionTimeout, c.set.connTimeout = d, d != 0 })
}

// WithMaxHopCount sets MaxHopCount, the Received fields allowed (default
// 30, range 1–500).
func WithMaxHopCount(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxHopCount = n })
}

// WithMaxLocalHopCount sets MaxLocalHopCount (default 8, range 0–50; 0
// never rejects on local hops).
func WithMaxLocalHopCount(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxLocalHopCount = n })
}

// WithMaxProtocolErrors sets the protocol errors after which the session is
// closed (default 5; 0 means unlimited).
func WithMaxProtocolErrors(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxProtocolErrors = n })
}

// WithMaxLogonFailures sets the failed logons after which the session is
// closed (default 3, range 0–10; 0 never closes).
func WithMaxLogonFailures(n int) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.MaxLogonFailures = n })
}

// WithTarpitInterval sets the delay of replies to abusive unauthenticated
// hosts (default 5 s, range 0–10 min; 0 disables).
func WithTarpitInterval(d time.Duration) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.TarpitInterval = d })
}

// WithRequireEHLODomain requires a domain in EHLO/HELO (default off).
func WithRequireEHLODomain(on bool) ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.RequireEHLODomain = on })
}

// AllowOpenRelay lets NewReceive build a connector that relays for every
// address: ExternalAuthoritative, or Accept-Any-Recipient for anonymous
// sessions, with remote ranges covering a whole address family. hubedge
// refuses those by default (ErrOpenRelay); the reference system does not.
func AllowOpenRelay() ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.AllowOpenRelay = true })
}

// DenyAnonymousAuthoritativeSender withdraws Accept-Authoritative-Domain-
// Sender from anonymous sessions, so Internet senders cannot use MAIL FROM
// addresses in our own authoritative domains: the usual hardening of an
// Internet-facing connector, in one call.
func DenyAnonymousAuthoritativeSender() ReceiveOption {
	return funcReceive(func(c *receiveState) { c.cfg.DenyAnonymousAuthoritativeSender = true })
}
