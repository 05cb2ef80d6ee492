package connector

import (
	"errors"
	"testing"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

func TestNewSendValidation(t *testing.T) {
	star, hosts := []addrspace.AddressSpace{addrspace.MustParse("*")}, []SmartHost{MustParseSmartHost("mail.contoso.com")}
	smart := func(c *SendConfig) { c.SmartHosts, c.DNSRoutingEnabled = hosts, false }
	basic := func(c *SendConfig) {
		smart(c)
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuth
		c.AuthenticationCredential = Credential{UserName: "u", Password: "p"}
	}
	usage := func(u Usage) func(*SendConfig) {
		return func(c *SendConfig) { *c = NewSendConfig(c.Name, u); c.AddressSpaces = star }
	}
	then := func(edits ...func(*SendConfig)) func(*SendConfig) {
		return func(c *SendConfig) {
			for _, e := range edits {
				e(c)
			}
		}
	}
	tests := []struct {
		name     string
		connName string
		edit     func(*SendConfig) // of a Custom connector for *
		param    string
		want     error
	}{
		{"no name", "", func(*SendConfig) {}, "Name", ErrRequired},
		{"long name", string(make([]byte, 65)), func(*SendConfig) {}, "Name", ErrOutOfRange},
		{"client usage", "x", usage(UsageClient), "Usage", ErrInvalid},
		{"no address space", "x", func(c *SendConfig) { c.AddressSpaces = nil }, "AddressSpaces", ErrRequired},
		{"bad address space", "x", func(c *SendConfig) {
			c.AddressSpaces = []addrspace.AddressSpace{{Type: "SMTP", Value: "*contoso.com", Cost: 1}}
		}, "AddressSpaces", ErrInvalid},
		{"bad cost", "x", func(c *SendConfig) {
			c.AddressSpaces = []addrspace.AddressSpace{{Type: "SMTP", Value: "a.com", Cost: 101}}
		}, "AddressSpaces", ErrInvalid},
		{"X400 without smart hosts", "x", func(c *SendConfig) {
			c.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("X400:c=us;a=adatum;5")}
		}, "AddressSpaces", ErrConflict},
		{"internal without smart hosts", "x", usage(UsageInternal), "SmartHosts", ErrRequired},
		{"DNS off without smart hosts", "x", func(c *SendConfig) { c.DNSRoutingEnabled = false }, "SmartHosts", ErrRequired},
		{"DNS and smart hosts", "x", func(c *SendConfig) { c.SmartHosts = hosts }, "DNSRoutingEnabled", ErrConflict},
		{"external DNS without DNS routing", "x", then(smart, func(c *SendConfig) { c.UseExternalDNSServersEnabled = true }),
			"UseExternalDNSServersEnabled", ErrConflict},
		{"auth without smart hosts", "x", func(c *SendConfig) { c.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative },
			"SmartHostAuthMechanism", ErrConflict},
		{"basic without credentials", "x", then(smart, func(c *SendConfig) { c.SmartHostAuthMechanism = auth.SmartHostBasicAuth }),
			"AuthenticationCredential", ErrRequired},
		{"credentials without basic", "x", then(smart, func(c *SendConfig) { c.AuthenticationCredential = Credential{UserName: "u", Password: "p"} }),
			"AuthenticationCredential", ErrConflict},
		{"BasicAuthRequireTLS to an IP", "x", then(basic, func(c *SendConfig) {
			c.SmartHosts = append(c.SmartHosts, MustParseSmartHost("[192.168.1.1]"))
			c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		}), "SmartHosts", ErrConflict},
		{"RequireTLS without smart hosts", "x", func(c *SendConfig) { c.RequireTLS = true }, "RequireTLS", ErrConflict},
		{"IgnoreStartTLS with RequireTLS", "x", then(basic, func(c *SendConfig) { c.RequireTLS, c.IgnoreSTARTTLS = true, true }),
			"IgnoreSTARTTLS", ErrConflict},
		{"TlsAuthLevel without RequireTLS", "x", then(basic, func(c *SendConfig) { c.TlsAuthLevel = auth.CertificateValidation }),
			"TlsAuthLevel", ErrConflict},
		{"TlsDomain without DomainValidation", "x", then(basic, func(c *SendConfig) { c.RequireTLS, c.TlsDomain = true, "contoso.com" }),
			"TlsDomain", ErrConflict},
		{"DomainValidation without TlsDomain", "x", then(basic, func(c *SendConfig) { c.RequireTLS, c.TlsAuthLevel = true, auth.DomainValidation }),
			"TlsDomain", ErrRequired},
		{"bad TlsDomain", "x", then(basic, func(c *SendConfig) {
			c.RequireTLS, c.TlsAuthLevel, c.TlsDomain = true, auth.DomainValidation, "a..b"
		}), "TlsDomain", ErrInvalid},
		{"partner without domain secure", "x", then(usage(UsagePartner), func(c *SendConfig) { c.DomainSecureEnabled = false }),
			"DomainSecureEnabled", ErrRequired},
		{"partner with smart hosts", "x", then(usage(UsagePartner), smart), "DomainSecureEnabled", ErrConflict},
		{"partner ignoring STARTTLS", "x", then(usage(UsagePartner), func(c *SendConfig) { c.IgnoreSTARTTLS = true }),
			"DomainSecureEnabled", ErrConflict},
		{"bad smart host", "x", func(c *SendConfig) {
			c.SmartHosts, c.DNSRoutingEnabled = []SmartHost{{Host: "mail..contoso.com"}}, false
		}, "SmartHosts", ErrInvalid},
		{"bad smart host IP", "x", func(c *SendConfig) {
			c.SmartHosts, c.DNSRoutingEnabled = []SmartHost{{Host: "mail.contoso.com", IsIP: true}}, false
		}, "SmartHosts", ErrInvalid},
		{"bad FQDN", "x", func(c *SendConfig) { c.Fqdn = "-bad-.contoso.com" }, "Fqdn", ErrInvalid},
		{"port 0", "x", func(c *SendConfig) { c.Port = 0 }, "Port", ErrOutOfRange},
		{"huge size", "x", func(c *SendConfig) { c.MaxMessageSize = 1 << 40 }, "MaxMessageSize", ErrOutOfRange},
		{"zero messages per connection", "x", func(c *SendConfig) { c.SmtpMaxMessagesPerConnection = 0 }, "SmtpMaxMessagesPerConnection", ErrOutOfRange},
		{"short inactivity", "x", func(c *SendConfig) { c.ConnectionInactivityTimeOut = time.Millisecond }, "ConnectionInactivityTimeOut", ErrOutOfRange},
		{"linked with address spaces", "x", then(smart, func(c *SendConfig) { c.LinkedReceiveConnector = "r" }), "AddressSpaces", ErrConflict},
		{"receive right on send", "x", func(c *SendConfig) {
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.Submit}}
		}, "Permissions", ErrInvalid},
		{"empty source server", "x", func(c *SendConfig) { c.SourceTransportServers = []string{""} }, "SourceTransportServers", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewSendConfig(tt.connName, UsageCustom)
			cfg.AddressSpaces = star
			tt.edit(&cfg)
			c, err := cfg.Build()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, %v; want *ConfigError", c, err)
			}
			if ce.Parameter != tt.param || ce.Connector != tt.connName {
				t.Errorf("error %q names %s of %q, want %s", err, ce.Parameter, ce.Connector, tt.param)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %v", err, tt.want)
			}
		})
	}
}

func TestSendUsageDefaults(t *testing.T) {
	hosts := []SmartHost{MustParseSmartHost("[10.0.0.1]"), MustParseSmartHost("relay.contoso.com:587")}
	tests := []struct {
		usage   Usage
		hosts   []SmartHost
		auth    auth.SmartHostAuth
		size    int64
		secure  bool
		remote  perms.Principal
		grants  int
		granted perms.Right // rights of the remote principal
	}{
		{UsageCustom, nil, auth.SmartHostNone, 10 << 20, false, perms.Anonymous, 0, 0},
		{UsageInternal, hosts, auth.SmartHostExchangeServer, 0, false, perms.HubTransportServers, 5, internalSend},
		{UsageInternet, nil, auth.SmartHostNone, 10 << 20, false, perms.Anonymous, 1, perms.SendRoutingHeaders},
		{UsagePartner, nil, auth.SmartHostNone, 10 << 20, true, perms.PartnerServers, 1, perms.SendRoutingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.usage.String(), func(t *testing.T) {
			cfg := NewSendConfig("x", tt.usage)
			cfg.AddressSpaces, cfg.SmartHosts = []addrspace.AddressSpace{addrspace.MustParse("*")}, tt.hosts
			c, err := cfg.Build()
			if err != nil {
				t.Fatal(err)
			}
			got := c.Config()
			if got.SmartHostAuthMechanism != tt.auth || got.MaxMessageSize != tt.size || got.DomainSecureEnabled != tt.secure ||
				c.RemotePrincipal() != tt.remote || len(c.ACL().Grants()) != tt.grants || c.RemoteRights() != tt.granted {
				t.Errorf("auth %s size %d secure %v remote %s grants %v rights %s", got.SmartHostAuthMechanism, got.MaxMessageSize,
					got.DomainSecureEnabled, c.RemotePrincipal(), c.ACL().Grants(), c.RemoteRights())
			}
		})
	}
	edgeCfg := NewSendConfig("x", UsageInternal)
	edgeCfg.Edge = true
	edgeCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	edgeCfg.SmartHosts = []SmartHost{MustParseSmartHost("hub")}
	edgeCfg.DNSRoutingEnabled = false
	edge, err := edgeCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(edge.ACL().Grants()) != 4 { // no Exchange Servers group on Edge
		t.Errorf("edge grants %v", edge.ACL().Grants())
	}
}

func TestSendConfigAndAccessors(t *testing.T) {
	cCfg := NewSendConfig("Linked", UsageCustom)
	cCfg.SmartHosts = []SmartHost{MustParseSmartHost("[192.168.1.1]:2525")}
	cCfg.DNSRoutingEnabled = false
	cCfg.Permissions = []Permission{{User: `CONTOSO\hygiene`, ExtendedRights: perms.SendRoutingHeaders}}
	cCfg.SmartHostAuthMechanism = auth.SmartHostNone
	cCfg.LinkedReceiveConnector = `HUB\From Hygiene`
	cCfg.Port = 587
	cCfg.Fqdn = "Mail.Contoso.com"
	cCfg.SmtpMaxMessagesPerConnection = 5
	cCfg.ConnectionInactivityTimeOut = time.Minute
	cCfg.Enabled = false
	cCfg.Comment = "loop-out"
	cCfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
	cCfg.IsScopedConnector = true
	cCfg.RemotePrincipal = `CONTOSO\hygiene`
	cCfg.MaxMessageSize = Unlimited
	c, err := cCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	if c.AddressSpaces() != nil || c.MaxMessageSize() != 0 || c.LinkedReceiveConnector() != `HUB\From Hygiene` ||
		c.Port() != 587 || c.SmartHosts()[0].Dial(c.Port()) != "192.168.1.1:2525" || c.FQDN() != "Mail.Contoso.com" ||
		c.SmtpMaxMessagesPerConnection() != 5 || c.ConnectionInactivityTimeout() != time.Minute || c.Enabled() ||
		c.Config().Comment != "loop-out" || c.ProtocolLoggingLevel() != ProtocolLoggingVerbose || !c.Config().IsScopedConnector ||
		c.RemoteRights() != perms.SendRoutingHeaders || c.String() != "Linked" || c.UseExternalDNSServersEnabled() {
		t.Errorf("accessors: %+v", c)
	}
	// Accessors return copies.
	c.SmartHosts()[0].Host = "changed"
	c.ACL().Add(`CONTOSO\hygiene`, perms.SendForestHeaders)
	if c.SmartHosts()[0].Host != "192.168.1.1" || c.RemoteRights() != perms.SendRoutingHeaders {
		t.Error("connector changed through an accessor")
	}
	sizedCfg := NewSendConfig("x", UsageCustom)
	sizedCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	sizedCfg.MaxMessageSize = 1048577
	sized, err := sizedCfg.Build()
	if err != nil || sized.MaxMessageSize() != 1025<<10 {
		t.Errorf("size rounding: %v %v", sized, err)
	}
	var cf SendConfig
	cf.EnableCrossForest(perms.Anonymous, true)
	if len(cf.Permissions) != 1 || cf.Permissions[0] != (Permission{User: perms.Anonymous, ExtendedRights: internalSend}) {
		t.Errorf("EnableCrossForest: %+v", cf.Permissions)
	}
}

func TestParseSmartHost(t *testing.T) {
	good := map[string]string{
		"mail.contoso.com": "mail.contoso.com", "Mail.Contoso.COM.:587": "mail.contoso.com:587",
		"[192.168.1.1]": "[192.168.1.1]", "192.168.1.1": "[192.168.1.1]", "[192.168.1.1]:25": "[192.168.1.1]:25",
		"[2001:db8::1]:25": "[2001:db8::1]:25", "2001:db8::1": "[2001:db8::1]", " edge01 ": "edge01",
		"127.0.0.1:2526": "[127.0.0.1]:2526",
	}
	for in, want := range good {
		h, err := ParseSmartHost(in)
		if err != nil || h.String() != want {
			t.Errorf("ParseSmartHost(%q) = %v, %v; want %s", in, h, err, want)
			continue
		}
		if back, err := ParseSmartHost(h.String()); err != nil || back != h {
			t.Errorf("round trip %q: %v %v", in, back, err)
		}
	}
	for _, in := range []string{"", "[192.168.1.1", "[mail.contoso.com]", "[1.2.3.4]x", "[1.2.3.4]:0", "mail:99999",
		"a..b", "[fe80::1%eth0]", "[::ffff:1.2.3.4]", "mail.contoso.com:", "0.0.0.0.", "10.1.2.3.:25"} {
		var pe *ParseError
		if _, err := ParseSmartHost(in); !errors.As(err, &pe) {
			t.Errorf("ParseSmartHost(%q) err = %v", in, err)
		}
	}
	if a := (SmartHost{Host: "1.2.3.4", IsIP: true}).Addr(); a.String() != "1.2.3.4" {
		t.Error(a)
	}
	if (SmartHost{Host: "x"}).Addr().IsValid() {
		t.Error("host name has an Addr")
	}
}

func FuzzParseSmartHost(f *testing.F) {
	for _, s := range []string{"mail.contoso.com", "[192.168.1.1]", "[2001:db8::1]:25", "x:1", "[", "::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseSmartHost(s)
		if err != nil {
			return
		}
		back, err := ParseSmartHost(h.String())
		if err != nil || back != h {
			t.Fatalf("round trip %q -> %q: %v %v", s, h, back, err)
		}
	})
}

func TestUsageText(t *testing.T) {
	for u := UsageCustom; u <= UsageClient; u++ {
		var v Usage
		if err := v.UnmarshalText([]byte(u.String())); err != nil || v != u {
			t.Errorf("%s: %v %v", u, v, err)
		}
	}
	if _, err := ParseUsage("internet "); err != nil {
		t.Error(err)
	}
	if _, err := ParseUsage("Edge"); err == nil || Usage(9).String() != "Usage(9)" {
		t.Error("bad usage accepted")
	}
	if l, err := ParseProtocolLoggingLevel("verbose"); err != nil || l.String() != "Verbose" {
		t.Error(l, err)
	}
	if _, err := ParseProtocolLoggingLevel("debug"); err == nil {
		t.Error("bad level accepted")
	}
}

func TestSendDANEAndMTASTSDefaults(t *testing.T) {
	on := func(c *SendConfig) { c.DaneEnabled, c.MtaStsEnabled = true, true }
	off := func(c *SendConfig) { c.DaneEnabled, c.MtaStsEnabled = false, false }
	tests := []struct {
		name      string
		usage     Usage
		edit      func(*SendConfig)
		dane, sts bool
	}{
		{"Internet on", UsageInternet, nil, true, true},
		{"Internet turned off", UsageInternet, off, false, false},
		{"Custom off", UsageCustom, nil, false, false},
		{"Partner off", UsagePartner, nil, false, false},
		{"Custom turned on", UsageCustom, on, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewSendConfig("Out", tt.usage)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := cfg.Build()
			if err != nil {
				t.Fatal(err)
			}
			if c.DaneEnabled() != tt.dane || c.MtaStsEnabled() != tt.sts {
				t.Errorf("DaneEnabled %v MtaStsEnabled %v, want %v %v", c.DaneEnabled(), c.MtaStsEnabled(), tt.dane, tt.sts)
			}
			if cfg := c.Config(); cfg.DaneEnabled != tt.dane || cfg.MtaStsEnabled != tt.sts {
				t.Errorf("Config() lost them: %+v", cfg)
			}
		})
	}
}
