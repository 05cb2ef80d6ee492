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
	net := []ReceiveOption{WithBindingList("0.0.0.0:25"), WithRemoteIPRangeList("10.0.0.0/8")}
	with := func(o ...ReceiveOption) []ReceiveOption { return append(append([]ReceiveOption{}, net...), o...) }
	tests := []struct {
		name  string
		opts  []ReceiveOption
		param string
		want  error
	}{
		{"no bindings", []ReceiveOption{WithRemoteIPRangeList("10.0.0.1")}, "Bindings", ErrRequired},
		{"bad binding", []ReceiveOption{WithBindingList("10.0.0.1")}, "Bindings", nil},
		{"zero binding", []ReceiveOption{WithBindings(netip.AddrPort{}), WithRemoteIPRangeList("10.0.0.1")}, "Bindings", ErrInvalid},
		{"no remote ranges", []ReceiveOption{WithBindingList("0.0.0.0:25")}, "RemoteIPRanges", ErrRequired},
		{"bad remote range", []ReceiveOption{WithRemoteIPRangeList("10.0.0.9-10.0.0.1")}, "RemoteIPRanges", nil},
		{"zero remote range", []ReceiveOption{WithBindingList("0.0.0.0:25"), WithRemoteIPRanges(IPRange{})}, "RemoteIPRanges", ErrInvalid},
		{"partial overlap", with(WithRemoteIPRangeList("10.255.255.0-11.0.0.5")), "RemoteIPRanges", ErrRangeOverlap},
		{"Integrated", with(WithAuthMechanism(auth.TLS | auth.Integrated)), "AuthMechanism", auth.ErrUnsupported},
		{"BasicAuthRequireTLS alone", with(WithAuthMechanism(auth.BasicAuthRequireTLS)), "AuthMechanism", ErrInvalid},
		{"ExternalAuthoritative without ExchangeServers", with(WithAuthMechanism(auth.ExternalAuthoritative)), "PermissionGroups", ErrRequired},
		{"RequireTLS without Tls", with(WithAuthMechanism(auth.None), WithRequireTLS(true)), "RequireTLS", ErrConflict},
		{"domain secure with ExternalAuthoritative", with(WithAuthMechanism(auth.TLS|auth.ExternalAuthoritative),
			WithPermissionGroups(perms.ExchangeServers), WithDomainSecure(true)), "DomainSecureEnabled", ErrConflict},
		{"edge client", []ReceiveOption{WithEdgeDefaults(), WithUsage(UsageClient), WithRemoteIPRangeList("10.0.0.1")}, "Usage", ErrInvalid},
		{"edge legacy group", with(WithEdgeDefaults(), WithPermissionGroups(perms.ExchangeLegacyServers)), "PermissionGroups", ErrInvalid},
		{"unknown usage", with(WithUsage(Usage(7))), "Usage", ErrInvalid},
		{"unknown group", with(WithPermissionGroups(perms.Group(0x80))), "PermissionGroups", ErrInvalid},
		{"banner without 220", with(WithBanner("250 hello")), "Banner", ErrInvalid},
		{"banner with CRLF", with(WithBanner("220 hi\r\n250 x")), "Banner", ErrInvalid},
		{"banner 2200", with(WithBanner("2200 hi")), "Banner", ErrInvalid},
		{"bad FQDN", with(WithFQDN("bad_name..")), "Fqdn", ErrInvalid},
		{"small max size", with(WithMaxMessageSize(1000)), "MaxMessageSize", ErrOutOfRange},
		{"zero header size", with(WithMaxHeaderSize(0)), "MaxHeaderSize", ErrOutOfRange},
		{"recipients", with(WithMaxRecipientsPerMessage(512001)), "MaxRecipientsPerMessage", ErrOutOfRange},
		{"negative inbound", with(WithMaxInboundConnection(-1)), "MaxInboundConnection", ErrOutOfRange},
		{"per source", with(WithMaxInboundConnectionPerSource(10001)), "MaxInboundConnectionPerSource", ErrOutOfRange},
		{"hop count", with(WithMaxHopCount(0)), "MaxHopCount", ErrOutOfRange},
		{"local hop count", with(WithMaxLocalHopCount(51)), "MaxLocalHopCount", ErrOutOfRange},
		{"logon failures", with(WithMaxLogonFailures(11)), "MaxLogonFailures", ErrOutOfRange},
		{"protocol errors", with(WithMaxProtocolErrors(-1)), "MaxProtocolErrors", ErrOutOfRange},
		{"timeouts inverted", with(WithConnectionTimeout(time.Minute), WithConnectionInactivityTimeout(2*time.Minute)), "ConnectionInactivityTimeout", ErrConflict},
		{"long timeout", with(WithConnectionTimeout(25 * time.Hour)), "ConnectionTimeout", ErrOutOfRange},
		{"tarpit", with(WithTarpitInterval(11 * time.Minute)), "TarpitInterval", ErrOutOfRange},
		{"send right on receive", with(WithPermission(perms.Anonymous, perms.SendExch50)), "Permissions", ErrInvalid},
		{"empty principal", with(WithPermission(" ", perms.Submit)), "Permissions", ErrRequired},
		{"open relay: ExternalAuthoritative to all", []ReceiveOption{WithUsage(UsageInternal), WithRemoteIPRanges(AllIPv4),
			WithAuthMechanism(auth.ExternalAuthoritative)}, "RemoteIPRanges", ErrOpenRelay},
		{"open relay: anonymous relay to all IPv6", []ReceiveOption{WithBindingList("[::]:25"), WithRemoteIPRangeList("::/1,8000::/1"),
			WithPermissionGroups(perms.AnonymousUsers), WithPermission(perms.Anonymous, perms.AcceptAnyRecipient)}, "RemoteIPRanges", ErrOpenRelay},
		{"protocol logging", with(WithProtocolLogging(9)), "ProtocolLoggingLevel", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewReceive("rc", tt.opts...)
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
			opts := []ReceiveOption{WithUsage(tt.usage), WithRemoteIPRangeList("10.0.0.0/8")}
			if tt.usage != UsageClient && tt.usage != UsageInternal {
				opts = append(opts, WithBindingList("0.0.0.0:25"))
			}
			if tt.edge {
				opts = append(opts, WithEdgeDefaults())
			}
			c, err := NewReceive("x", opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Bindings(); len(got) != 1 || "["+got[0].String()+"]" != tt.bindings ||
				c.PermissionGroups() != tt.groups || c.AuthMechanism() != tt.mech {
				t.Errorf("bindings %v groups %s mech %s", got, c.PermissionGroups(), c.AuthMechanism())
			}
		})
	}
	c, err := NewReceive("x", WithUsage(UsageInternet), WithBindingList("0.0.0.0:25"))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(10 << 20), int64(256 << 10), 200, 5000, 20, 10 * time.Minute, 5 * time.Minute, 30, 8, 5, 3,
		5 * time.Second, false, false, false, true, c.RemoteIPRanges()[0] == AllIPv4}
	got := []any{c.MaxMessageSize(), c.MaxHeaderSize(), c.MaxRecipientsPerMessage(), c.MaxInboundConnection(),
		c.MaxInboundConnectionPerSource(), c.ConnectionTimeout(), c.ConnectionInactivityTimeout(), c.MaxHopCount(),
		c.MaxLocalHopCount(), c.MaxProtocolErrors(), c.MaxLogonFailures(), c.TarpitInterval(), c.RequireTLS(),
		c.RequireEHLODomain(), c.DomainSecureEnabled(), c.Enabled(), true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestReceiveOptionsAndAccessors(t *testing.T) {
	c, err := NewReceive("Internet", WithUsage(UsageInternet), WithBindingList("0.0.0.0:25,[::]:25"),
		WithRemoteIPRanges(AllIPv4, AllIPv6), WithFQDN("mail.contoso.com"), WithBanner("220 mail.contoso.com ready"),
		WithMaxMessageSize(35<<20), WithMaxHeaderSize(64<<10), WithMaxRecipientsPerMessage(100),
		WithMaxInboundConnection(0), WithMaxInboundConnectionPerSource(0), WithConnectionTimeout(time.Hour),
		WithConnectionInactivityTimeout(time.Minute), WithMaxHopCount(60), WithMaxLocalHopCount(0),
		WithMaxProtocolErrors(0), WithMaxLogonFailures(0), WithTarpitInterval(0), WithRequireTLS(true),
		WithRequireEHLODomain(true), WithDomainSecure(true), WithEnabled(false), WithComment("c"),
		WithProtocolLogging(ProtocolLoggingVerbose), DenyAnonymousAuthoritativeSender(),
		WithDeniedPermission(perms.Anonymous, perms.AcceptRoutingHeaders), WithoutPermission(perms.Anonymous, perms.AcceptAnySender))
	if err != nil {
		t.Fatal(err)
	}
	if c.FQDN() != "mail.contoso.com" || c.Banner() != "220 mail.contoso.com ready" || c.MaxMessageSize() != 35<<20 ||
		c.MaxHeaderSize() != 64<<10 || c.MaxRecipientsPerMessage() != 100 || c.MaxInboundConnection() != 0 ||
		c.MaxInboundConnectionPerSource() != 0 || c.ConnectionTimeout() != time.Hour || c.ConnectionInactivityTimeout() != time.Minute ||
		c.MaxHopCount() != 60 || c.MaxLocalHopCount() != 0 || c.MaxProtocolErrors() != 0 || c.MaxLogonFailures() != 0 ||
		c.TarpitInterval() != 0 || !c.RequireTLS() || !c.RequireEHLODomain() || !c.DomainSecureEnabled() || c.Enabled() ||
		c.Comment() != "c" || c.ProtocolLoggingLevel() != ProtocolLoggingVerbose || c.IsEdge() || c.String() != "Internet" ||
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
