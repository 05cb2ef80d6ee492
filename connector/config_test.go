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
	hosts := WithSmartHostList("hub1.fourthcoffee.com,[192.168.1.1]:2525")
	tests := []struct {
		name string
		opts []SendOption
	}{
		{"internet", []SendOption{WithUsage(UsageInternet), WithAddressSpaceList("*"), WithFQDN("mail.contoso.com")}},
		{"edge internal", []SendOption{WithEdgeDefaults(), WithUsage(UsageInternal), WithAddressSpaceList("*.contoso.com"),
			WithSmartHostList("hub01.contoso.com"), WithSmartHostAuth(auth.SmartHostBasicAuthRequireTLS), WithCredentials("u", "p")}},
		{"cross forest", []SendOption{WithUsage(UsageInternal), WithAddressSpaceList(`"FourthCoffee.com;2","X400:c=us;a=adatum;5"`),
			hosts, WithSmartHostAuth(auth.SmartHostBasicAuth), WithCredentials("u", "p"), WithCrossForest(perms.Principal("ANONYMOUS LOGON"), true),
			WithSourceTransportServers("HubA", "HubB"), WithScoped(true), WithPort(587), WithMaxMessagesPerConnection(5),
			WithConnectionInactivityTimeout(time.Minute), WithEnabled(false), WithComment("c"), WithProtocolLogging(ProtocolLoggingVerbose),
			WithDeniedPermission(perms.Anonymous, perms.SendExch50), WithoutPermission(perms.HubTransportServers, perms.SendForestHeaders)}},
		{"partner", []SendOption{WithUsage(UsagePartner), WithAddressSpaceList("fabrikam.com"), WithUseExternalDNSServers(true),
			WithMaxMessageSize(1048577), WithRemotePrincipal(perms.Anonymous)}},
		{"TLS to smart host", []SendOption{WithAddressSpaceList("*"), WithSmartHostList("relay.contoso.com"), WithRequireTLS(true),
			WithTLSAuthLevel(auth.DomainValidation), WithTLSDomain("*.contoso.com")}},
		{"linked", []SendOption{WithSmartHostList("[192.168.1.1]"), WithSmartHostAuth(auth.SmartHostExternalAuthoritative),
			WithLinkedReceiveConnector(`HUB\From Hygiene`)}},
		{"ignore STARTTLS", []SendOption{WithAddressSpaceList("*"), WithIgnoreStartTLS(true), WithMaxMessageSize(Unlimited)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt(t, func() (*SendConnector, error) { return NewSend(tt.name, tt.opts...) },
				func(c *SendConnector) (*SendConnector, error) { return c.Config().Build() }, sameSend)
		})
	}
}

func TestReceiveConfigRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		opts []ReceiveOption
	}{
		{"internet", []ReceiveOption{WithUsage(UsageInternet), WithBindingList("0.0.0.0:25,[::]:25"), DenyAnonymousAuthoritativeSender()}},
		{"edge internal", []ReceiveOption{WithEdgeDefaults(), WithUsage(UsageInternal), WithRemoteIPRangeList("192.168.5.10,192.168.5.20"),
			WithAuthMechanism(auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer)}},
		{"client", []ReceiveOption{WithUsage(UsageClient), WithRemoteIPRangeList("10.0.0.0/8"), WithRequireTLS(true),
			WithRequireEHLODomain(true), WithBanner("220 mail.contoso.com ready"), WithFQDN("mail.contoso.com")}},
		{"anonymous relay", []ReceiveOption{WithUsage(UsageCustom), WithBindingList("10.1.1.1:25"), WithRemoteIPRangeList("10.2.0.0-10.2.255.255"),
			WithPermissionGroups(perms.AnonymousUsers), WithPermission(perms.Principal("ANONYMOUS LOGON"), perms.AcceptAnyRecipient),
			WithDeniedPermission(perms.Anonymous, perms.AcceptRoutingHeaders), WithoutPermission(perms.Anonymous, perms.Submit)}},
		{"open relay allowed", []ReceiveOption{WithUsage(UsageInternal), WithRemoteIPRanges(AllIPv4), WithAuthMechanism(auth.TLS | auth.ExternalAuthoritative),
			AllowOpenRelay(), WithMaxMessageSize(35 << 20), WithMaxHeaderSize(64 << 10), WithMaxRecipientsPerMessage(100),
			WithMaxInboundConnection(Unlimited), WithMaxInboundConnectionPerSource(Unlimited), WithConnectionTimeout(time.Hour),
			WithConnectionInactivityTimeout(time.Minute), WithMaxHopCount(60), WithMaxLocalHopCount(0), WithMaxProtocolErrors(Unlimited),
			WithMaxLogonFailures(0), WithTarpitInterval(0), WithEnabled(false), WithComment("c"), WithProtocolLogging(ProtocolLoggingVerbose)}},
		{"partner", []ReceiveOption{WithUsage(UsagePartner), WithBindingList("0.0.0.0:25"), WithRemoteIPRangeList("203.0.113.0/24"), WithDomainSecure(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rebuilt(t, func() (*ReceiveConnector, error) { return NewReceive(tt.name, tt.opts...) },
				func(c *ReceiveConnector) (*ReceiveConnector, error) { return c.Config().Build() }, sameReceive)
		})
	}
}

// The usage defaults of NewSendConfig are those NewSend applies for
// WithUsage, given the parameters each usage requires.
func TestNewSendConfigDefaults(t *testing.T) {
	star := addrspace.MustParse("*")
	hub := SmartHost{Host: "hub01.contoso.com"}
	tests := []struct {
		usage Usage
		edge  bool
		smart bool
	}{
		{UsageCustom, false, false}, {UsageInternet, false, false}, {UsagePartner, false, false},
		{UsageInternal, false, true}, {UsageInternal, true, true}, {UsageCustom, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.usage, tt.edge, tt.smart), func(t *testing.T) {
			opts := []SendOption{WithUsage(tt.usage), WithAddressSpaces(star)}
			cfg := NewSendConfig("x", tt.usage)
			cfg.AddressSpaces, cfg.Edge = []addrspace.AddressSpace{star}, tt.edge
			if tt.edge {
				opts = append(opts, WithEdgeDefaults())
			}
			if tt.smart {
				opts = append(opts, WithSmartHosts(hub))
				cfg.SmartHosts, cfg.DNSRoutingEnabled = []SmartHost{hub}, false
			}
			rebuilt(t, func() (*SendConnector, error) { return NewSend("x", opts...) },
				func(*SendConnector) (*SendConnector, error) { return cfg.Build() }, sameSend)
		})
	}
}

func TestNewReceiveConfigDefaults(t *testing.T) {
	b25 := netip.MustParseAddrPort("0.0.0.0:25")
	lan := MustParseIPRange("10.0.0.0/8")
	for _, edge := range []bool{false, true} {
		for u := UsageCustom; u <= UsageClient; u++ {
			if edge && u == UsageClient {
				continue
			}
			t.Run(fmt.Sprint(u, edge), func(t *testing.T) {
				opts := []ReceiveOption{WithUsage(u)}
				cfg := NewReceiveConfig("x", u)
				if edge {
					opts = append(opts, WithEdgeDefaults())
					cfg = NewEdgeReceiveConfig("x", u)
				}
				if len(cfg.Bindings) == 0 {
					opts = append(opts, WithBindings(b25))
					cfg.Bindings = []netip.AddrPort{b25}
				}
				if len(cfg.RemoteIPRanges) == 0 {
					opts = append(opts, WithRemoteIPRanges(lan))
					cfg.RemoteIPRanges = []IPRange{lan}
				}
				rebuilt(t, func() (*ReceiveConnector, error) { return NewReceive("x", opts...) },
					func(*ReceiveConnector) (*ReceiveConnector, error) { return cfg.Build() }, sameReceive)
			})
		}
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
	if r.Bindings()[0].Port() != 25 || r.RemoteIPRanges()[0] == AllIPv4 {
		t.Errorf("connector changed: %v %v", r.Bindings(), r.RemoteIPRanges())
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
	s, err := NewSend("To Partner", WithUsage(UsagePartner), WithAddressSpaceList(`"fabrikam.com;2","*.fabrikam.net"`),
		WithProtocolLogging(ProtocolLoggingVerbose), WithPermission(perms.PartnerServers, perms.SendOrganizationHeaders),
		WithSourceTransportServers("hub01"), WithComment("partner"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceive("From Partner", WithUsage(UsagePartner), WithBindingList("10.1.1.1:25,[::]:25"),
		WithRemoteIPRangeList("203.0.113.0/24,2001:db8::/32"), WithDomainSecure(true), WithProtocolLogging(ProtocolLoggingVerbose),
		WithDeniedPermission(perms.PartnerServers, perms.AcceptRoutingHeaders))
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
