package connector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// sameSend reports how two send connectors differ, or "".
func sameSend(a, b *SendConnector) string {
	switch {
	case !reflect.DeepEqual(a.Config(), b.Config()):
		return fmt.Sprintf("config %+v != %+v", a.Config(), b.Config())
	case !reflect.DeepEqual(a.ACL().Grants(), b.ACL().Grants()) || !reflect.DeepEqual(a.ACL().Denials(), b.ACL().Denials()):
		return fmt.Sprintf("ACL %v/%v != %v/%v", a.ACL().Grants(), a.ACL().Denials(), b.ACL().Grants(), b.ACL().Denials())
	case a.RemotePrincipal() != b.RemotePrincipal() || !reflect.DeepEqual(a.Policy(), b.Policy()):
		return fmt.Sprintf("remote %s policy %+v != %s %+v", a.RemotePrincipal(), a.Policy(), b.RemotePrincipal(), b.Policy())
	}
	return ""
}

func sameReceive(a, b *ReceiveConnector) string {
	switch {
	case !reflect.DeepEqual(a.Config(), b.Config()):
		return fmt.Sprintf("config %+v != %+v", a.Config(), b.Config())
	case !reflect.DeepEqual(a.ACL().Grants(), b.ACL().Grants()) || !reflect.DeepEqual(a.ACL().Denials(), b.ACL().Denials()):
		return fmt.Sprintf("ACL %v/%v != %v/%v", a.ACL().Grants(), a.ACL().Denials(), b.ACL().Grants(), b.ACL().Denials())
	}
	return ""
}

// rebuilt builds a connector twice, the second time as the test says
// (usually from the first one's Config), and reports how the two differ.
func rebuilt[C any](t *testing.T, build func() (C, error), again func(C) (C, error), diff func(a, b C) string) {
	t.Helper()
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := again(c)
	if err != nil {
		t.Fatal(err)
	}
	if s := diff(c, d); s != "" {
		t.Error(s)
	}
}

func TestSendConfigRoundTrip(t *testing.T) {
	hosts := []SmartHost{MustParseSmartHost("hub1.fourthcoffee.com"), MustParseSmartHost("[192.168.1.1]:2525")}
	tests := []struct {
		name  string
		build func() (*SendConnector, error)
	}{
		{"internet", func() (*SendConnector, error) {
			cfg := NewSendConfig("internet", UsageInternet)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			cfg.Fqdn = "mail.contoso.com"
			return cfg.Build()
		}},
		{"edge internal", func() (*SendConnector, error) {
			cfg := NewSendConfig("edge internal", UsageInternal)
			cfg.Edge = true
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*.contoso.com")}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("hub01.contoso.com")}
			cfg.DNSRoutingEnabled = false
			cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
			cfg.AuthenticationCredential = Credential{UserName: "u", Password: "p"}
			return cfg.Build()
		}},
		{"cross forest", func() (*SendConnector, error) {
			cfg := NewSendConfig("cross forest", UsageInternal)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"FourthCoffee.com;2"`), addrspace.MustParse(`"X400:c=us;a=adatum;5"`)}
			cfg.SourceTransportServers = []string{"HubA", "HubB"}
			cfg.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.SendExch50, Deny: true}}
			cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuth
			cfg.AuthenticationCredential = Credential{UserName: "u", Password: "p"}
			cfg.IsScopedConnector = true
			cfg.Port = 587
			cfg.SmtpMaxMessagesPerConnection = 5
			cfg.ConnectionInactivityTimeOut = time.Minute
			cfg.Enabled = false
			cfg.Comment = "c"
			cfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
			cfg.EnableCrossForest(perms.Principal("ANONYMOUS LOGON"), true)
			cfg.SmartHosts, cfg.DNSRoutingEnabled = hosts, false
			cfg.Permissions = append(cfg.Permissions, Permission{User: perms.HubTransportServers, ExtendedRights: perms.SendForestHeaders, Remove: true})
			return cfg.Build()
		}},
		{"partner", func() (*SendConnector, error) {
			cfg := NewSendConfig("partner", UsagePartner)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("fabrikam.com")}
			cfg.UseExternalDNSServersEnabled = true
			cfg.MaxMessageSize = 1048577
			cfg.RemotePrincipal = perms.Anonymous
			return cfg.Build()
		}},
		{"TLS to smart host", func() (*SendConnector, error) {
			cfg := NewSendConfig("TLS to smart host", UsageCustom)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("relay.contoso.com")}
			cfg.DNSRoutingEnabled = false
			cfg.RequireTLS = true
			cfg.TlsAuthLevel = auth.DomainValidation
			cfg.TlsDomain = "*.contoso.com"
			return cfg.Build()
		}},
		{"linked", func() (*SendConnector, error) {
			cfg := NewSendConfig("linked", UsageCustom)
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("[192.168.1.1]")}
			cfg.DNSRoutingEnabled = false
			cfg.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative
			cfg.LinkedReceiveConnector = `HUB\From Hygiene`
			cfg.MaxMessageSize = Unlimited
			return cfg.Build()
		}},
		{"ignore STARTTLS", func() (*SendConnector, error) {
			cfg := NewSendConfig("ignore STARTTLS", UsageCustom)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			cfg.IgnoreSTARTTLS = true
			cfg.MaxMessageSize = Unlimited
			return cfg.Build()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt(t, tt.build,
				func(c *SendConnector) (*SendConnector, error) { return c.Config().Build() }, sameSend)
		})
	}
}

func TestReceiveConfigRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		build func() (*ReceiveConnector, error)
	}{
		{"internet", func() (*ReceiveConnector, error) {
			cfg := NewReceiveConfig("internet", UsageInternet)
			cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25"), netip.MustParseAddrPort("[::]:25")}
			cfg.DenyAnonymousAuthoritativeSender = true
			return cfg.Build()
		}},
		{"edge internal", func() (*ReceiveConnector, error) {
			cfg := NewEdgeReceiveConfig("edge internal", UsageInternal)
			cfg.RemoteIPRanges = []IPRange{MustParseIPRange("192.168.5.10"), MustParseIPRange("192.168.5.20")}
			cfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
			return cfg.Build()
		}},
		{"client", func() (*ReceiveConnector, error) {
			cfg := NewReceiveConfig("client", UsageClient)
			cfg.RemoteIPRanges = []IPRange{MustParseIPRange("10.0.0.0/8")}
			cfg.RequireTLS = true
			cfg.RequireEHLODomain = true
			cfg.Banner = "220 mail.contoso.com ready"
			cfg.Fqdn = "mail.contoso.com"
			return cfg.Build()
		}},
		{"anonymous relay", func() (*ReceiveConnector, error) {
			cfg := NewReceiveConfig("anonymous relay", UsageCustom)
			cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
			cfg.RemoteIPRanges = []IPRange{MustParseIPRange("10.2.0.0-10.2.255.255")}
			cfg.Permissions = []Permission{{User: perms.Principal("ANONYMOUS LOGON"), ExtendedRights: perms.AcceptAnyRecipient}, {User: perms.Anonymous, ExtendedRights: perms.AcceptRoutingHeaders, Deny: true}}
			cfg.PermissionGroups = perms.AnonymousUsers
			cfg.Permissions = append(cfg.Permissions, Permission{User: perms.Anonymous, ExtendedRights: perms.Submit, Remove: true})
			return cfg.Build()
		}},
		{"open relay allowed", func() (*ReceiveConnector, error) {
			cfg := NewReceiveConfig("open relay allowed", UsageInternal)
			cfg.RemoteIPRanges = []IPRange{AllIPv4}
			cfg.AuthMechanism = auth.TLS | auth.ExternalAuthoritative
			cfg.AllowOpenRelay = true
			cfg.MaxMessageSize = 35 << 20
			cfg.MaxHeaderSize = 64 << 10
			cfg.MaxRecipientsPerMessage = 100
			cfg.MaxInboundConnection = Unlimited
			cfg.MaxInboundConnectionPerSource = Unlimited
			cfg.ConnectionTimeout = time.Hour
			cfg.ConnectionInactivityTimeout = time.Minute
			cfg.MaxHopCount = 60
			cfg.MaxLocalHopCount = 0
			cfg.MaxProtocolErrors = Unlimited
			cfg.MaxLogonFailures = 0
			cfg.TarpitInterval = 0
			cfg.Enabled = false
			cfg.Comment = "c"
			cfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
			return cfg.Build()
		}},
		{"partner", func() (*ReceiveConnector, error) {
			cfg := NewReceiveConfig("partner", UsagePartner)
			cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
			cfg.RemoteIPRanges = []IPRange{MustParseIPRange("203.0.113.0/24")}
			cfg.DomainSecureEnabled = true
			return cfg.Build()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt(t, tt.build,
				func(c *ReceiveConnector) (*ReceiveConnector, error) { return c.Config().Build() }, sameReceive)
		})
	}
}

// wantConfigErr fails unless err is a *ConfigError of connector name about
// param that wraps want.
func wantConfigErr(t *testing.T, err error, name, param string, want error) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Connector != name || ce.Parameter != param || !errors.Is(err, want) {
		t.Fatalf("Build() = %v, want %s %v", err, param, want)
	}
}

func TestSendConfigBuildErrors(t *testing.T) {
	base := func() SendConfig {
		c := NewSendConfig("x", UsageCustom)
		c.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
		return c
	}
	tests := []struct {
		name   string
		change func(*SendConfig)
		param  string
		want   error
	}{
		{"no name", func(c *SendConfig) { c.Name = " " }, "Name", ErrRequired},
		{"no address space", func(c *SendConfig) { c.AddressSpaces = nil }, "AddressSpaces", ErrRequired},
		{"smart hosts with DNS routing", func(c *SendConfig) { c.SmartHosts = []SmartHost{{Host: "a.com"}} }, "DNSRoutingEnabled", ErrConflict},
		{"internal with nothing set", func(c *SendConfig) { *c = NewSendConfig("x", UsageInternal) }, "AddressSpaces", ErrRequired},
		{"basic without a user", func(c *SendConfig) {
			c.SmartHosts, c.DNSRoutingEnabled, c.SmartHostAuthMechanism = []SmartHost{{Host: "a.com"}}, false, auth.SmartHostBasicAuth
			c.AuthenticationCredential.Password = "p"
		}, "AuthenticationCredential", ErrRequired},
		{"negative size", func(c *SendConfig) { c.MaxMessageSize = -1 }, "MaxMessageSize", ErrOutOfRange},
		{"size over 2 GB once rounded", func(c *SendConfig) { c.MaxMessageSize = maxSize }, "MaxMessageSize", ErrOutOfRange},
		{"linked with a size", func(c *SendConfig) {
			c.AddressSpaces, c.SmartHosts, c.DNSRoutingEnabled, c.LinkedReceiveConnector = nil, []SmartHost{{Host: "a.com"}}, false, "r"
		}, "MaxMessageSize", ErrConflict},
		{"receive right denied on a send connector", func(c *SendConfig) {
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.Submit, Deny: true}}
		}, "Permissions", ErrInvalid},
		{"no messages per connection", func(c *SendConfig) { c.SmtpMaxMessagesPerConnection = 0 }, "SmtpMaxMessagesPerConnection", ErrOutOfRange},
		{"zero inactivity", func(c *SendConfig) { c.ConnectionInactivityTimeOut = 0 }, "ConnectionInactivityTimeOut", ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			_, err := c.Build()
			wantConfigErr(t, err, c.Name, tt.param, tt.want)
		})
	}
}

func TestReceiveConfigBuildErrors(t *testing.T) {
	base := func() ReceiveConfig {
		c := NewReceiveConfig("x", UsageInternet)
		c.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
		return c
	}
	tests := []struct {
		name   string
		change func(*ReceiveConfig)
		param  string
		want   error
	}{
		{"long name", func(c *ReceiveConfig) { c.Name = strings.Repeat("n", 65) }, "Name", ErrOutOfRange},
		{"no bindings", func(c *ReceiveConfig) { c.Bindings = nil }, "Bindings", ErrRequired},
		{"custom without ranges", func(c *ReceiveConfig) {
			b := c.Bindings
			*c = NewReceiveConfig("x", UsageCustom)
			c.Bindings = b
		}, "RemoteIPRanges", ErrRequired},
		{"inactivity not shorter", func(c *ReceiveConfig) { c.ConnectionInactivityTimeout = c.ConnectionTimeout }, "ConnectionInactivityTimeout", ErrConflict},
		{"zero connection timeout", func(c *ReceiveConfig) { c.ConnectionTimeout = 0 }, "ConnectionTimeout", ErrOutOfRange},
		{"anonymous relay from everywhere", func(c *ReceiveConfig) {
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}
		}, "RemoteIPRanges", ErrOpenRelay},
		{"send right", func(c *ReceiveConfig) {
			c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.SendExch50, Remove: true}}
		}, "Permissions", ErrInvalid},
		{"unlimited message size", func(c *ReceiveConfig) { c.MaxMessageSize = Unlimited }, "MaxMessageSize", ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			_, err := c.Build()
			wantConfigErr(t, err, c.Name, tt.param, tt.want)
		})
	}
	c := base()
	c.Permissions = []Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}
	c.AllowOpenRelay = true
	if _, err := c.Build(); err != nil {
		t.Errorf("AllowOpenRelay: %v", err)
	}
}

// Remove-ADPermission -Deny withdraws a denial.
func TestPermissionUndeny(t *testing.T) {
	c := NewReceiveConfig("x", UsageInternet)
	c.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
	c.Permissions = []Permission{{User: "ANONYMOUS LOGON", ExtendedRights: perms.Submit, Deny: true}}
	denied, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	c.Permissions = append(c.Permissions, Permission{User: perms.Anonymous, ExtendedRights: perms.Submit, Deny: true, Remove: true})
	undenied, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	if denied.Rights(perms.Anonymous).Has(perms.Submit) || !undenied.Rights(perms.Anonymous).Has(perms.Submit) {
		t.Errorf("denied %s, undenied %s", denied.Rights(perms.Anonymous), undenied.Rights(perms.Anonymous))
	}
}

// The connector keeps its own copy: neither the configuration it was built
// from nor one Config returned changes it.
func TestConfigIsACopy(t *testing.T) {
	cfg := NewSendConfig("x", UsageInternet)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("contoso.com")}
	cfg.SourceTransportServers = []string{"hub01"}
	c, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AddressSpaces[0].Value, cfg.SourceTransportServers[0] = "evil.example", "evil"
	out := c.Config()
	out.AddressSpaces[0].Value, out.SourceTransportServers[0] = "evil.example", "evil"
	if got := c.AddressSpaces()[0].Value; got != "contoso.com" || c.SourceTransportServers()[0] != "hub01" {
		t.Errorf("connector changed: %v %v", c.AddressSpaces(), c.SourceTransportServers())
	}

	rcfg := NewReceiveConfig("r", UsageInternal)
	rcfg.RemoteIPRanges = []IPRange{MustParseIPRange("10.0.0.1")}
	r, err := rcfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	rcfg.Bindings[0] = netip.MustParseAddrPort("0.0.0.0:26")
	rout := r.Config()
	rout.RemoteIPRanges[0] = AllIPv4
	if r.Bindings()[0].Port() != 25 || r.Config().RemoteIPRanges[0] == AllIPv4 {
		t.Errorf("connector changed: %v %v", r.Bindings(), r.Config().RemoteIPRanges)
	}
}

// No printing path of a SendConfig shows the password.
func TestCredentialRedacted(t *testing.T) {
	cfg := NewSendConfig("x", UsageCustom)
	cfg.AuthenticationCredential = Credential{UserName: `CONTOSO\svc`, Password: "hunter2-secret"}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "cred", cfg.AuthenticationCredential)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(j), logged.String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password printed: %s", s)
		}
		if !strings.Contains(s, "svc") {
			t.Errorf("user name missing: %s", s)
		}
	}
}

// A configuration survives JSON, apart from the secrets it never writes.
func TestConfigJSONRoundTrip(t *testing.T) {
	sCfg := NewSendConfig("To Partner", UsagePartner)
	sCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"fabrikam.com;2"`), addrspace.MustParse("*.fabrikam.net")}
	sCfg.Permissions = []Permission{{User: perms.PartnerServers, ExtendedRights: perms.SendOrganizationHeaders}}
	sCfg.SourceTransportServers = []string{"hub01"}
	sCfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
	sCfg.Comment = "partner"
	s, err := sCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	rCfg := NewReceiveConfig("From Partner", UsagePartner)
	rCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25"), netip.MustParseAddrPort("[::]:25")}
	rCfg.RemoteIPRanges = []IPRange{MustParseIPRange("203.0.113.0/24"), MustParseIPRange("2001:db8::/32")}
	rCfg.Permissions = []Permission{{User: perms.PartnerServers, ExtendedRights: perms.AcceptRoutingHeaders, Deny: true}}
	rCfg.DomainSecureEnabled = true
	rCfg.ProtocolLoggingLevel = ProtocolLoggingVerbose
	r, err := rCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in, out any
	}{{s.Config(), &SendConfig{}}, {r.Config(), &ReceiveConfig{}}} {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, tt.out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got := reflect.ValueOf(tt.out).Elem().Interface(); !reflect.DeepEqual(got, tt.in) {
			t.Errorf("JSON round trip:\n got %+v\nwant %+v", got, tt.in)
		}
	}
}
