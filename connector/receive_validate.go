package connector

import (
	"slices"
	"strings"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

const allGroups = perms.AnonymousUsers | perms.ExchangeUsers | perms.ExchangeServers |
	perms.ExchangeLegacyServers | perms.Partners | perms.Custom

// validate applies the reference system's parameter rules to a receive
// configuration, role and usage first.
func (c *ReceiveConfig) validate() error {
	name := c.Name
	for _, step := range []func(string) error{
		c.checkRole, c.checkNetwork, c.checkAuth, c.checkText, c.checkLimits,
	} {
		if err := step(name); err != nil {
			return err
		}
	}
	return nil
}

func (c *ReceiveConfig) checkRole(name string) error {
	switch {
	case c.Usage > UsageClient:
		return configErr(name, "Usage", ErrInvalid, "unknown usage %d", c.Usage)
	case c.Edge && c.Usage == UsageClient:
		return configErr(name, "Usage", ErrInvalid, "Client usage is not available on an Edge server")
	case c.PermissionGroups&^allGroups != 0:
		return configErr(name, "PermissionGroups", ErrInvalid, "unknown permission group bits %#x", uint8(c.PermissionGroups&^allGroups))
	case c.Edge && c.PermissionGroups&(perms.ExchangeUsers|perms.ExchangeLegacyServers) != 0:
		return configErr(name, "PermissionGroups", ErrInvalid, "ExchangeUsers and ExchangeLegacyServers are not available on an Edge server")
	}
	return nil
}

func (c *ReceiveConfig) checkNetwork(name string) error {
	if len(c.Bindings) == 0 {
		return configErr(name, "Bindings", ErrRequired, "%s usage needs bindings (IP:port)", c.Usage)
	}
	for _, b := range c.Bindings {
		if !b.IsValid() || b.Addr().Zone() != "" || b.Addr().Is4In6() {
			return configErr(name, "Bindings", ErrInvalid, "%s is not a valid binding", b)
		}
	}
	if len(c.RemoteIPRanges) == 0 {
		return configErr(name, "RemoteIPRanges", ErrRequired, "%s usage needs remote IP ranges", c.Usage)
	}
	for i, r := range c.RemoteIPRanges {
		if !r.IsValid() {
			return configErr(name, "RemoteIPRanges", ErrInvalid, "the zero IPRange is not a range")
		}
		for _, o := range c.RemoteIPRanges[:i] {
			if r.Overlaps(o) && !r.ContainsRange(o) && !o.ContainsRange(r) {
				return configErr(name, "RemoteIPRanges", ErrRangeOverlap, "%s and %s overlap partially; merge them", o, r)
			}
		}
	}
	return nil
}

func (c *ReceiveConfig) checkAuth(name string) error {
	m := c.AuthMechanism
	if err := m.Validate(); err != nil {
		return &ConfigError{Connector: name, Parameter: "AuthMechanism",
			Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
	}
	switch {
	case m.Has(auth.ExternalAuthoritative) && !c.PermissionGroups.Has(perms.ExchangeServers):
		return configErr(name, "PermissionGroups", ErrRequired, "ExternalAuthoritative needs the ExchangeServers permission group")
	case c.RequireTLS && !m.Has(auth.TLS):
		return configErr(name, "RequireTLS", ErrConflict, "requiring TLS needs the Tls auth mechanism")
	case c.DomainSecureEnabled && (!m.Has(auth.TLS) || m.Has(auth.ExternalAuthoritative)):
		return configErr(name, "DomainSecureEnabled", ErrConflict, "mutual TLS needs Tls and not ExternalAuthoritative")
	}
	return nil
}

func (c *ReceiveConfig) checkText(name string) error {
	if c.Banner != "" && (!strings.HasPrefix(c.Banner, "220") || strings.ContainsAny(c.Banner, "\r\n") ||
		len(c.Banner) > 3 && c.Banner[3] != ' ') {
		return configErr(name, "Banner", ErrInvalid, "a banner is one line starting with \"220 \"")
	}
	if c.ProtocolLoggingLevel > ProtocolLoggingVerbose {
		return configErr(name, "ProtocolLoggingLevel", ErrInvalid, "unknown level %d", c.ProtocolLoggingLevel)
	}
	return checkFQDN(name, c.Fqdn)
}

func (c *ReceiveConfig) checkLimits(name string) error {
	ints := []struct {
		param   string
		v, lo   int64
		hi      int64
		zeroOff bool // 0 means unlimited / never
	}{
		{"MaxMessageSize", c.MaxMessageSize, 65536, maxSize, false},
		{"MaxHeaderSize", c.MaxHeaderSize, 1, maxSize, false},
		{"MaxRecipientsPerMessage", int64(c.MaxRecipientsPerMessage), 1, 512000, false},
		{"MaxInboundConnection", int64(c.MaxInboundConnection), 1, maxSize, true},
		{"MaxInboundConnectionPerSource", int64(c.MaxInboundConnectionPerSource), 1, 10000, true},
		{"MaxHopCount", int64(c.MaxHopCount), 1, 500, false},
		{"MaxLocalHopCount", int64(c.MaxLocalHopCount), 0, 50, false},
		{"MaxProtocolErrors", int64(c.MaxProtocolErrors), 0, maxSize, false},
		{"MaxLogonFailures", int64(c.MaxLogonFailures), 0, 10, false},
	}
	for _, l := range ints {
		if l.zeroOff && l.v == 0 {
			continue
		}
		if l.v < l.lo || l.v > l.hi {
			return configErr(name, l.param, ErrOutOfRange, "%d is outside %d to %d", l.v, l.lo, l.hi)
		}
	}
	if err := checkDuration(name, "ConnectionTimeout", c.ConnectionTimeout, time.Second, 24*time.Hour); err != nil {
		return err
	}
	if err := checkDuration(name, "ConnectionInactivityTimeout", c.ConnectionInactivityTimeout, time.Second, 24*time.Hour); err != nil {
		return err
	}
	if c.ConnectionInactivityTimeout >= c.ConnectionTimeout {
		return configErr(name, "ConnectionInactivityTimeout", ErrConflict,
			"%v must be shorter than ConnectionTimeout %v", c.ConnectionInactivityTimeout, c.ConnectionTimeout)
	}
	return checkDuration(name, "TarpitInterval", c.TarpitInterval, 0, 10*time.Minute)
}

// checkOpenRelay refuses, unless allowed, a connector that relays for
// everyone: reachable from a whole address family and either
// ExternalAuthoritative (every session is trusted) or granting
// Accept-Any-Recipient to anonymous sessions.
func (c *ReceiveConnector) checkOpenRelay() error {
	if c.cfg.AllowOpenRelay || !c.coversFamily(true) && !c.coversFamily(false) {
		return nil
	}
	switch {
	case c.cfg.AuthMechanism.Has(auth.ExternalAuthoritative):
		return configErr(c.cfg.Name, "RemoteIPRanges", ErrOpenRelay,
			"ExternalAuthoritative trusts every session, and the connector is reachable from every address; narrow RemoteIPRanges or use AllowOpenRelay")
	case c.acl.Rights(perms.Anonymous).Has(perms.AcceptAnyRecipient):
		return configErr(c.cfg.Name, "RemoteIPRanges", ErrOpenRelay,
			"anonymous sessions may relay (Accept-Any-Recipient), and the connector is reachable from every address; narrow RemoteIPRanges or use AllowOpenRelay")
	}
	return nil
}

// coversFamily reports whether the union of the remote ranges of one family
// is that family's whole address space.
func (c *ReceiveConnector) coversFamily(is4 bool) bool {
	var rs []IPRange
	for _, r := range c.cfg.RemoteIPRanges {
		if r.Is4() == is4 {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b IPRange) int { return u128Of(a.from).cmp(u128Of(b.from)) })
	var next u128 // first address not yet covered
	for _, r := range rs {
		if u128Of(r.from).cmp(next) > 0 {
			return false
		}
		end, wrapped := u128Of(r.to).inc()
		if wrapped || is4 && end.lo > 0xffffffff {
			return true
		}
		if end.cmp(next) > 0 {
			next = end
		}
	}
	return false
}
