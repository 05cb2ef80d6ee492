package connector

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

func TestNewReceiveValidation(t *testing.T) {
	b25, lan := []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}, []IPRange{MustParseIPRange("10.0.0.0/8")}
	edge := func(u Usage) func(*ReceiveConfig) {
		return func(c *ReceiveConfig) { *c = NewEdgeReceiveConfig(c.Name, u); c.Bindings, c.RemoteIPRanges = b25, lan }
	}
	tests := []struct {
		name  string
		edit  func(*ReceiveConfig) // of a Custom connector on 0.0.0.0:25 for 10.0.0.0/8
		param string
		want  error
	}{
		{"no bindings", func(c *ReceiveConfig) { c.Bindings = nil }, "Bindings", ErrRequired},
		{"zero binding", func(c *ReceiveConfig) { c.Bindings = []netip.AddrPort{{}} }, "Bindings", ErrInvalid},
		{"no remote ranges", func(c *ReceiveConfig) { c.RemoteIPRanges = nil }, "RemoteIPRanges", ErrRequired},
		{"zero remote range", func(c *ReceiveConfig) { c.RemoteIPRanges = []IPRange{{}} }, "RemoteIPRanges", ErrInvalid},
		{"partial overlap", func(c *ReceiveConfig) {
			c.RemoteIPRanges = append(c.RemoteIPRanges, MustParseIPRange("10.255.255.0-11.0.0.5"))
		}, "RemoteIPRanges", ErrRangeOverlap},
		{"Integrated", func(c *ReceiveConfig) { c.AuthMechanism = auth.TLS | auth.Integrated }, "AuthMechanism", auth.ErrUnsupported},
		{"BasicAuthRequireTLS alone", func(c *ReceiveConfig) { c.AuthMechanism = auth.BasicAuthRequireTLS }, "AuthMechanism", ErrInvalid},
		{"ExternalAuthoritative without ExchangeServers", func(c *ReceiveConfig) { c.AuthMechanism = auth.ExternalAuthoritative }, "PermissionGroups", ErrRequired},
		{"RequireTLS without Tls", func(c *ReceiveConfig) { c.AuthMechanism, c.RequireTLS = auth.None, true }, "RequireTLS", ErrConflict},
		{"domain secure with ExternalAuthoritative", func(c *ReceiveConfig) {
			c.AuthMechanism, c.PermissionGroups, c.DomainSecureEnabled = auth.TLS|auth.ExternalAuthoritative, perms.ExchangeServers, true
		}, "DomainSecureEnabled", ErrConflict},
		{"edge client", edge(UsageClient), "Usage", ErrInvalid},
		{"edge legacy group", func(c *ReceiveConfig) { c.Edge, c.PermissionGroups = true, perms.ExchangeLegacyServers }, "PermissionGroups", ErrInvalid},
		{"unknown usage", func(c *ReceiveConfig) { c.Usage = Usage(7) }, "Usage", ErrInvalid},
		{"unknown group", func(c *ReceiveConfig) { c.PermissionGroups = perms.Group(0x80) }, "PermissionGroups", ErrInvalid},
		{"banner without 220", func(c *ReceiveConfig) { c.Banner = "250 hello" }, "Banner", ErrInvalid},
		{"banner with CRLF", func(c *ReceiveConfig) { c.Banner = "220 hi\r\n250 x" }, "Banner", ErrInvalid},
		{"banner 2200", func(c *ReceiveConfig) { c.Banner = "2200 hi" }, "Banner", ErrInvalid},
		{"bad FQDN", func(c *ReceiveConfig) { c.Fqdn = "bad_name.." }, "Fqdn", ErrInvalid},
		{"small max size", func(c *ReceiveConfig) { c.MaxMessageSize = 1000 }, "MaxMessageSize", ErrOutOfRange},
		{"zero header size", func(c *ReceiveConfig) { c.MaxHeaderSize = 0 }, "MaxHeaderSize", ErrOutOfRange},
		{"recipients", func(c *ReceiveConfig) { c.MaxRecipientsPerMessage = 512001 }, "MaxRecipientsPerMessage", ErrOutOfRange},
		{"negative inbound", func(c *ReceiveConfig) { c.MaxInboundConnection = -1 }, "MaxInboundConnection", ErrOutOfRange},
		{"per source", func(c *ReceiveConfig) { c.MaxInboundConnectionPerSource = 10001 }, "MaxInboundConnectionPerSource", ErrOutOfRange},
		{"hop count", func(c *ReceiveConfig) { c.MaxHopCount = 0 }, "MaxHopCount", ErrOutOfRange},
		{"local hop count", func(c *ReceiveConfig) { c.MaxLocalHopCount = 51 }, "MaxLocalHopCount", ErrOutOfRange},
		{"logon failures", func(c *ReceiveConfig) { c.MaxLogonFailures = 11 }, "MaxLogonFailures", ErrOutOfRange},
		{"protocol errors", func(c *ReceiveConfig) { c.MaxProtocolErrors = -1 }, "MaxProtocolErrors", ErrOutOfRange},
		{"timeouts inverted", func(c *ReceiveConfig) {
			c.ConnectionTimeout, c.ConnectionInactivityTimeout = time.Minute, 2*time.Minute
		}, "ConnectionInactivityTimeout", ErrConflict},
		{"long timeout", func(c *ReceiveConfig) { c.ConnectionTimeout = 25 * time.Hour }, "ConnectionTimeout", ErrOutOfRange},
		{"tarpit", func(c *ReceiveConfig) { c.TarpitInterval = 11 * time.Minute }, "TarpitInterval", ErrOutOfRange},
		{"send right on receive", func(c *ReceiveConfig) {
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.SendExch50}}
		}, "Permissions", ErrInvalid},
		{"empty principal", func(c *ReceiveConfig) { c.Permissions = []Permission{{User: " ", ExtendedRights: perms.Submit}} }, "Permissions", ErrRequired},
		{"open relay: ExternalAuthoritative to all", func(c *ReceiveConfig) {
			*c = NewReceiveConfig(c.Name, UsageInternal)
			c.RemoteIPRanges, c.AuthMechanism = []IPRange{AllIPv4}, auth.ExternalAuthoritative
		}, "RemoteIPRanges", ErrOpenRelay},
		{"open relay: anonymous relay to all IPv6", func(c *ReceiveConfig) {
			c.Bindings = []netip.AddrPort{netip.MustParseAddrPort("[::]:25")}
			c.RemoteIPRanges = []IPRange{MustParseIPRange("::/1"), MustParseIPRange("8000::/1")}
			c.PermissionGroups = perms.AnonymousUsers
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}
		}, "RemoteIPRanges", ErrOpenRelay},
		{"protocol logging", func(c *ReceiveConfig) { c.ProtocolLoggingLevel = 9 }, "ProtocolLoggingLevel", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewReceiveConfig("rc", UsageCustom)
			cfg.Bindings, cfg.RemoteIPRanges = b25, lan
			tt.edit(&cfg)
			c, err := cfg.Build()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, %v; want *ConfigError", c, err)
			}
			if ce.Parameter != tt.param || ce.Connector != "rc" {
				t.Errorf("error %q names %s, want %s", err, ce.Parameter, tt.param)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %v", err, tt.want)
			}
		})
	}
	// What the configuration cannot hold is refused by the parsers.
	if _, err := ParseBindings("10.0.0.1"); err == nil {
		t.Error("ParseBindings accepted a binding without a port")
	}
	if _, err := ParseIPRanges("10.0.0.9-10.0.0.1"); err == nil {
		t.Error("ParseIPRanges accepted a reversed range")
	}
}

func TestReceiveUsageDefaults(t *testing.T) {
	tests := []struct {
		usage    Usage
		edge     bool
		bindings string
		groups   perms.Group
		mech     auth.Mechanism
	}{
		{UsageCustom, false, "[0.0.0.0:25]", perms.NoGroups, auth.TLS},
		{UsageClient, false, "[0.0.0.0:587]", perms.ExchangeUsers, auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS},
		{UsageInternal, false, "[0.0.0.0:25]", perms.ExchangeServers | perms.ExchangeLegacyServers, auth.TLS | auth.ExchangeServer},
		{UsageInternal, true, "[0.0.0.0:25]", perms.ExchangeServers, auth.TLS | auth.ExchangeServer},
		{UsageInternet, false, "[0.0.0.0:25]", perms.AnonymousUsers, auth.TLS},
		{UsagePartner, false, "[0.0.0.0:25]", perms.Partners, auth.TLS},
	}
	for _, tt := range tests {
		t.Run(tt.usage.String(), func(t *testing.T) {
			cfg := NewReceiveConfig("x", tt.usage)
			if tt.edge {
				cfg = NewEdgeReceiveConfig("x", tt.usage)
			}
			cfg.RemoteIPRanges = []IPRange{MustParseIPRange("10.0.0.0/8")}
			if tt.usage != UsageClient && tt.usage != UsageInternal {
				cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
			}
			c, err := cfg.Build()
			if err != nil {
				t.Fatal(err)
			}
			got := c.Config()
			if len(got.Bindings) != 1 || "["+got.Bindings[0].String()+"]" != tt.bindings ||
				got.PermissionGroups != tt.groups || got.AuthMechanism != tt.mech {
				t.Errorf("bindings %v groups %s mech %s", got.Bindings, got.PermissionGroups, got.AuthMechanism)
			}
		})
	}
	cCfg := NewReceiveConfig("x", UsageInternet)
	cCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
	c, err := cCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(10 << 20), int64(256 << 10), 200, 5000, 20, 10 * time.Minute, 5 * time.Minute, 30, 8, 5, 3,
		5 * time.Second, false, false, false, true, c.Config().RemoteIPRanges[0] == AllIPv4}
	got := []any{c.MaxMessageSize(), c.MaxHeaderSize(), c.MaxRecipientsPerMessage(), c.MaxInboundConnection(),
		c.MaxInboundConnectionPerSource(), c.ConnectionTimeout(), c.ConnectionInactivityTimeout(), c.MaxHopCount(),
		c.MaxLocalHopCount(), c.MaxProtocolErrors(), c.MaxLogonFailures(), c.TarpitInterval(), c.RequireTLS(),
		c.RequireEHLODomain(), c.DomainSecureEnabled(), c.Config().Enabled, true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestReceiveConfigAndAccessors(t *testing.T) {
	cCfg := NewReceiveConfig("Internet", UsageInternet)
	cCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25"), netip.MustParseAddrPort("[::]:25")}
	cCfg.RemoteIPRanges = []IPRange{AllIPv4, AllIPv6}
	cCfg.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptRoutingHeaders, Deny: true}}
	cCfg.Fqdn = "mail.contoso.com"
	cCfg.Banner = "220 mail.contoso.com ready"
	cCfg.MaxMessageSize = 35 << 20
	cCfg.MaxHeaderSize = 64 << 10
	cCfg.MaxRecipientsPerMessage = 100
	cCfg.MaxInboundConnection = 0
	cCfg.MaxInboundConnectionPerSource = 0
	cCfg.ConnectionTimeout = time.Hour
	cCfg.ConnectionInactivityTimeout = time.Minute
	cCfg.MaxHopCount = 60
	cCfg.MaxLocalHopCount = 0
	cCfg.MaxProtocolErrors = 0
	cCfg.MaxLogonFailures = 0
	cCfg.TarpitInterval = 0
	cCfg.RequireTLS = true
	cCfg.RequireEHLODomain = true
	cCfg.DomainSecureEnabled = true
	cCfg.Enabled = false
	cCfg.Comment = "c"
	cCfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
	cCfg.DenyAnonymousAuthoritativeSender = true
	cCfg.Permissions = append(cCfg.Permissions, Permission{User: perms.Anonymous, ExtendedRights: perms.AcceptAnySender, Remove: true})
	c, err := cCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	if c.FQDN() != "mail.contoso.com" || c.Banner() != "220 mail.contoso.com ready" || c.MaxMessageSize() != 35<<20 ||
		c.MaxHeaderSize() != 64<<10 || c.MaxRecipientsPerMessage() != 100 || c.MaxInboundConnection() != 0 ||
		c.MaxInboundConnectionPerSource() != 0 || c.ConnectionTimeout() != time.Hour || c.ConnectionInactivityTimeout() != time.Minute ||
		c.MaxHopCount() != 60 || c.MaxLocalHopCount() != 0 || c.MaxProtocolErrors() != 0 || c.MaxLogonFailures() != 0 ||
		c.TarpitInterval() != 0 || !c.RequireTLS() || !c.RequireEHLODomain() || !c.DomainSecureEnabled() || c.Config().Enabled ||
		c.Config().Comment != "c" || c.ProtocolLoggingLevel() != ProtocolLoggingVerbose || c.Config().Edge || c.String() != "Internet" ||
		len(c.Bindings()) != 2 || !c.AcceptsRemote(netip.MustParseAddr("2001:db8::1")) {
		t.Errorf("accessors: %+v", c)
	}
	if r := c.Rights(perms.Anonymous); r != perms.Submit {
		t.Errorf("anonymous rights %s, want Submit only", r)
	}
	c.ACL().Add(perms.Anonymous, perms.AcceptAnyRecipient)
	if c.Rights(perms.Anonymous).Has(perms.AcceptAnyRecipient) {
		t.Error("connector changed through ACL()")
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.Rights(perms.Anonymous) }); n != 0 {
		t.Errorf("Rights allocates %v", n)
	}
}
