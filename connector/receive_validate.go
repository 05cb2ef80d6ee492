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

// validate applies SPEC.md §2.1–2.3 and §4 to a receive configuration.
func (c *receiveConfig) validate(name string) error {
	for _, step := range []func(string) error{
		c.checkRole, c.checkNetwork, c.checkAuth, c.checkText, c.checkLimits,
	} {
		if err := step(name); err != nil {
			return err
		}
	}
	return nil
}

func (c *receiveConfig) checkRole(name string) error {
	switch {
	case c.usage > UsageClient:
		return configErr(name, "Usage", ErrInvalid, "unknown usage %d", c.usage)
	case c.edge && c.usage == UsageClient:
		return configErr(name, "Usage", ErrInvalid, "Client usage is not available on an Edge server")
	case c.groups&^allGroups != 0:
		return configErr(name, "PermissionGroups", ErrInvalid, "unknown permission group bits %#x", uint8(c.groups&^allGroups))
	case c.edge && c.groups&(perms.ExchangeUsers|perms.ExchangeLegacyServers) != 0:
		return configErr(name, "PermissionGroups", ErrInvalid, "ExchangeUsers and ExchangeLegacyServers are not available on an Edge server")
	}
	return nil
}

func (c *receiveConfig) checkNetwork(name string) error {
	if len(c.bindings) == 0 {
		return configErr(name, "Bindings", ErrRequired, "%s usage needs bindings (IP:port)", c.usage)
	}
	for _, b := range c.bindings {
		if !b.IsValid() || b.Addr().Zone() != "" || b.Addr().Is4In6() {
			return configErr(name, "Bindings", ErrInvalid, "%s is not a valid binding", b)
		}
	}
	if len(c.remoteRanges) == 0 {
		return configErr(name, "RemoteIPRanges", ErrRequired, "%s usage needs remote IP ranges", c.usage)
	}
	for i, r := range c.remoteRanges {
		if !r.IsValid() {
			return configErr(name, "RemoteIPRanges", ErrInvalid, "the zero IPRange is not a range")
		}
		for _, o := range c.remoteRanges[:i] {
			if r.Overlaps(o) && !r.ContainsRange(o) && !o.ContainsRange(r) {
				return configErr(name, "RemoteIPRanges", ErrRangeOverlap, "%s and %s overlap partially; merge them", o, r)
			}
		}
	}
	return nil
}

func (c *receiveConfig) checkAuth(name string) error {
	m := c.authMech
	if err := m.Validate(); err != nil {
		return &ConfigError{Connector: name, Parameter: "AuthMechanism",
			Err: &reason{sentinel: ErrInvalid, msg: err.Error(), cause: err}}
	}
	switch {
	case m.Has(auth.ExternalAuthoritative) && !c.groups.Has(perms.ExchangeServers):
		return configErr(name, "PermissionGroups", ErrRequired, "ExternalAuthoritative needs the ExchangeServers permission group")
	case c.requireTLS && !m.Has(auth.TLS):
		return configErr(name, "RequireTLS", ErrConflict, "requiring TLS needs the Tls auth mechanism")
	case c.domainSecure && (!m.Has(auth.TLS) || m.Has(auth.ExternalAuthoritative)):
		return configErr(name, "DomainSecureEnabled", ErrConflict, "mutual TLS needs Tls and not ExternalAuthoritative")
	}
	return nil
}

func (c *receiveConfig) checkText(name string) error {
	if c.banner != "" && (!strings.HasPrefix(c.banner, "220") || strings.ContainsAny(c.banner, "\r\n") ||
		len(c.banner) > 3 && c.banner[3] != ' ') {
		return configErr(name, "Banner", ErrInvalid, "a banner is one line starting with \"220 \"")
	}
	if c.protocolLog > ProtocolLoggingVerbose {
		return configErr(name, "ProtocolLoggingLevel", ErrInvalid, "unknown level %d", c.protocolLog)
	}
	return checkFQDN(name, c.fqdn)
}

func (c *receiveConfig) checkLimits(name string) error {
	ints := []struct {
		param   string
		v, lo   int64
		hi      int64
		zeroOff bool // 0 means unlimited / never
	}{
		{"MaxMessageSize", c.maxMessageSize, 65536, maxSize, false},
		{"MaxHeaderSize", c.maxHeaderSize, 1, maxSize, false},
		{"MaxRecipientsPerMessage", int64(c.maxRecipients), 1, 512000, false},
		{"MaxInboundConnection", int64(c.maxInbound), 1, maxSize, true},
		{"MaxInboundConnectionPerSource", int64(c.maxInboundPerSrc), 1, 10000, true},
		{"MaxHopCount", int64(c.maxHopCount), 1, 500, false},
		{"MaxLocalHopCount", int64(c.maxLocalHopCount), 0, 50, false},
		{"MaxProtocolErrors", int64(c.maxProtocolErrors), 0, maxSize, false},
		{"MaxLogonFailures", int64(c.maxLogonFailures), 0, 10, false},
	}
	for _, l := range ints {
		if l.zeroOff && l.v == 0 {
			continue
		}
		if l.v < l.lo || l.v > l.hi {
			return configErr(name, l.param, ErrOutOfRange, "%d is outside %d to %d", l.v, l.lo, l.hi)
		}
	}
	if err := checkDuration(name, "ConnectionTimeout", c.connTimeout, time.Second, 24*time.Hour); err != nil {
		return err
	}
	if err := checkDuration(name, "ConnectionInactivityTimeout", c.inactivity, time.Second, 24*time.Hour); err != nil {
		return err
	}
	if c.inactivity >= c.connTimeout {
		return configErr(name, "ConnectionInactivityTimeout", ErrConflict,
			"%v must be shorter than ConnectionTimeout %v", c.inactivity, c.connTimeout)
	}
	return checkDuration(name, "TarpitInterval", c.tarpit, 0, 10*time.Minute)
}

// checkOpenRelay refuses, unless allowed, a connector that relays for
// everyone: reachable from a whole address family and either
// ExternalAuthoritative (every session is trusted) or granting
// Accept-Any-Recipient to anonymous sessions.
func (c *ReceiveConnector) checkOpenRelay(allowed bool) error {
	if allowed || !c.coversFamily(true) && !c.coversFamily(false) {
		return nil
	}
	switch {
	case c.authMech.Has(auth.ExternalAuthoritative):
		return configErr(c.name, "RemoteIPRanges", ErrOpenRelay,
			"ExternalAuthoritative trusts every session, and the connector is reachable from every address; narrow RemoteIPRanges or use AllowOpenRelay")
	case c.acl.Rights(perms.Anonymous).Has(perms.AcceptAnyRecipient):
		return configErr(c.name, "RemoteIPRanges", ErrOpenRelay,
			"anonymous sessions may relay (Accept-Any-Recipient), and the connector is reachable from every address; narrow RemoteIPRanges or use AllowOpenRelay")
	}
	return nil
}

// coversFamily reports whether the union of the remote ranges of one family
// is that family's whole address space.
func (c *ReceiveConnector) coversFamily(is4 bool) bool {
	var rs []IPRange
	for _, r := range c.remoteIPRanges {
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
