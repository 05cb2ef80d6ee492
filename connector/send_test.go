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
	star, hosts := WithAddressSpaceList("*"), WithSmartHostList("mail.contoso.com")
	basic := []SendOption{star, hosts, WithSmartHostAuth(auth.SmartHostBasicAuth), WithCredentials("u", "p")}
	tests := []struct {
		name     string
		connName string
		opts     []SendOption
		param    string
		want     error
	}{
		{"no name", "", []SendOption{star}, "Name", ErrRequired},
		{"long name", string(make([]byte, 65)), []SendOption{star}, "Name", ErrOutOfRange},
		{"client usage", "x", []SendOption{star, WithUsage(UsageClient)}, "Usage", ErrInvalid},
		{"no address space", "x", nil, "AddressSpaces", ErrRequired},
		{"bad address space", "x", []SendOption{WithAddressSpaceList("*contoso.com")}, "AddressSpaces", ErrInvalid},
		{"bad cost", "x", []SendOption{WithAddressSpaces(addrspace.AddressSpace{Type: "SMTP", Value: "a.com", Cost: 101})}, "AddressSpaces", ErrInvalid},
		{"X400 without smart hosts", "x", []SendOption{WithAddressSpaceList("X400:c=us;a=adatum;5")}, "AddressSpaces", ErrConflict},
		{"internal without smart hosts", "x", []SendOption{star, WithUsage(UsageInternal)}, "SmartHosts", ErrRequired},
		{"DNS off without smart hosts", "x", []SendOption{star, WithDNSRouting(false)}, "SmartHosts", ErrRequired},
		{"DNS and smart hosts", "x", []SendOption{star, hosts, WithDNSRouting(true)}, "DNSRoutingEnabled", ErrConflict},
		{"external DNS without DNS routing", "x", []SendOption{star, hosts, WithUseExternalDNSServers(true)}, "UseExternalDNSServersEnabled", ErrConflict},
		{"auth without smart hosts", "x", []SendOption{star, WithSmartHostAuth(auth.SmartHostExternalAuthoritative)}, "SmartHostAuthMechanism", ErrConflict},
		{"basic without credentials", "x", []SendOption{star, hosts, WithSmartHostAuth(auth.SmartHostBasicAuth)}, "AuthenticationCredential", ErrRequired},
		{"credentials without basic", "x", []SendOption{star, hosts, WithCredentials("u", "p")}, "AuthenticationCredential", ErrConflict},
		{"BasicAuthRequireTLS to an IP", "x", []SendOption{star, WithSmartHostList("mail.contoso.com,[192.168.1.1]"),
			WithSmartHostAuth(auth.SmartHostBasicAuthRequireTLS), WithCredentials("u", "p")}, "SmartHosts", ErrConflict},
		{"RequireTLS without smart hosts", "x", []SendOption{star, WithRequireTLS(true)}, "RequireTLS", ErrConflict},
		{"IgnoreStartTLS with RequireTLS", "x", append(basic, WithRequireTLS(true), WithIgnoreStartTLS(true)), "IgnoreSTARTTLS", ErrConflict},
		{"TlsAuthLevel without RequireTLS", "x", append(basic, WithTLSAuthLevel(auth.CertificateValidation)), "TlsAuthLevel", ErrConflict},
		{"TlsDomain without DomainValidation", "x", append(basic, WithRequireTLS(true), WithTLSDomain("contoso.com")), "TlsDomain", ErrConflict},
		{"DomainValidation without TlsDomain", "x", append(basic, WithRequireTLS(true), WithTLSAuthLevel(auth.DomainValidation)), "TlsDomain", ErrRequired},
		{"bad TlsDomain", "x", append(basic, WithRequireTLS(true), WithTLSAuthLevel(auth.DomainValidation), WithTLSDomain("a..b")), "TlsDomain", ErrInvalid},
		{"partner without domain secure", "x", []SendOption{star, WithUsage(UsagePartner), WithDomainSecure(false)}, "DomainSecureEnabled", ErrRequired},
		{"partner with smart hosts", "x", []SendOption{star, hosts, WithUsage(UsagePartner)}, "DomainSecureEnabled", ErrConflict},
		{"partner ignoring STARTTLS", "x", []SendOption{star, WithUsage(UsagePartner), WithIgnoreStartTLS(true)}, "DomainSecureEnabled", ErrConflict},
		{"bad smart host", "x", []SendOption{star, WithSmartHostList("mail..contoso.com")}, "SmartHosts", ErrInvalid},
		{"bad FQDN", "x", []SendOption{star, WithFQDN("-bad-.contoso.com")}, "Fqdn", ErrInvalid},
		{"port 0", "x", []SendOption{star, WithPort(0)}, "Port", ErrOutOfRange},
		{"huge size", "x", []SendOption{star, WithMaxMessageSize(1 << 40)}, "MaxMessageSize", ErrOutOfRange},
		{"zero messages per connection", "x", []SendOption{star, WithMaxMessagesPerConnection(0)}, "SmtpMaxMessagesPerConnection", ErrOutOfRange},
		{"short inactivity", "x", []SendOption{star, WithConnectionInactivityTimeout(time.Millisecond)}, "ConnectionInactivityTimeOut", ErrOutOfRange},
		{"linked with address spaces", "x", []SendOption{star, hosts, WithSmartHostAuth(auth.SmartHostNone), WithLinkedReceiveConnector("r")}, "AddressSpaces", ErrConflict},
		{"linked without auth", "x", []SendOption{hosts, WithLinkedReceiveConnector("r")}, "SmartHostAuthMechanism", ErrRequired},
		{"receive right on send", "x", []SendOption{star, WithPermission(perms.Anonymous, perms.Submit)}, "Permissions", ErrInvalid},
		{"empty source server", "x", []SendOption{star, WithSourceTransportServers("")}, "SourceTransportServers", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewSend(tt.connName, tt.opts...)
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
	hosts := WithSmartHostList("[10.0.0.1],relay.contoso.com:587")
	tests := []struct {
		usage   Usage
		opts    []SendOption
		auth    auth.SmartHostAuth
		size    int64
		secure  bool
		remote  perms.Principal
		grants  int
		granted perms.Right // rights of the remote principal
	}{
		{UsageCustom, nil, auth.SmartHostNone, 10 << 20, false, perms.Anonymous, 0, 0},
		{UsageInternal, []SendOption{hosts}, auth.SmartHostExchangeServer, 0, false, perms.HubTransportServers, 5, internalSend},
		{UsageInternet, nil, auth.SmartHostNone, 10 << 20, false, perms.Anonymous, 1, perms.SendRoutingHeaders},
		{UsagePartner, nil, auth.SmartHostNone, 10 << 20, true, perms.PartnerServers, 1, perms.SendRoutingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.usage.String(), func(t *testing.T) {
			c, err := NewSend("x", append([]SendOption{WithUsage(tt.usage), WithAddressSpaceList("*")}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if c.SmartHostAuth() != tt.auth || c.MaxMessageSize() != tt.size || c.DomainSecureEnabled() != tt.secure ||
				c.RemotePrincipal() != tt.remote || len(c.ACL().Grants()) != tt.grants || c.RemoteRights() != tt.granted {
				t.Errorf("auth %s size %d secure %v remote %s grants %v rights %s", c.SmartHostAuth(), c.MaxMessageSize(),
					c.DomainSecureEnabled(), c.RemotePrincipal(), c.ACL().Grants(), c.RemoteRights())
			}
		})
	}
	edge, err := NewSend("x", WithEdgeDefaults(), WithUsage(UsageInternal), WithAddressSpaceList("*"), WithSmartHostList("hub"))
	if err != nil {
		t.Fatal(err)
	}
	if len(edge.ACL().Grants()) != 4 { // no Exchange Servers group on Edge
		t.Errorf("edge grants %v", edge.ACL().Grants())
	}
}

func TestSendOptionsAndAccessors(t *testing.T) {
	c, err := NewSend("Linked", WithSmartHostList("[192.168.1.1]:2525"), WithSmartHostAuth(auth.SmartHostNone),
		WithLinkedReceiveConnector(`HUB\From Hygiene`), WithPort(587), WithFQDN("Mail.Contoso.com"),
		WithMaxMessagesPerConnection(5), WithConnectionInactivityTimeout(time.Minute), WithEnabled(false),
		WithComment("loop-out"), WithProtocolLogging(ProtocolLoggingVerbose), WithScoped(true),
		WithRemotePrincipal(`CONTOSO\hygiene`), WithPermission(`CONTOSO\hygiene`, perms.SendRoutingHeaders))
	if err != nil {
		t.Fatal(err)
	}
	if c.AddressSpaces() != nil || c.MaxMessageSize() != 0 || c.LinkedReceiveConnector() != `HUB\From Hygiene` ||
		c.Port() != 587 || c.SmartHosts()[0].Dial(c.Port()) != "192.168.1.1:2525" || c.FQDN() != "Mail.Contoso.com" ||
		c.SmtpMaxMessagesPerConnection() != 5 || c.ConnectionInactivityTimeout() != time.Minute || c.Enabled() ||
		c.Comment() != "loop-out" || c.ProtocolLoggingLevel() != ProtocolLoggingVerbose || !c.IsScopedConnector() ||
		c.RemoteRights() != perms.SendRoutingHeaders || c.String() != "Linked" || c.UseExternalDNSServersEnabled() {
		t.Errorf("accessors: %+v", c)
	}
	// Accessors return copies.
	c.SmartHosts()[0].Host = "changed"
	c.ACL().Add(`CONTOSO\hygiene`, perms.SendForestHeaders)
	if c.SmartHosts()[0].Host != "192.168.1.1" || c.RemoteRights() != perms.SendRoutingHeaders {
		t.Error("connector changed through an accessor")
	}
	sized, err := NewSend("x", WithAddressSpaceList("*"), WithMaxMessageSize(1048577))
	if err != nil || sized.MaxMessageSize() != 1025<<10 {
		t.Errorf("size rounding: %v %v", sized, err)
	}
	var acl perms.ACL
	EnableCrossForest(&acl, perms.Anonymous, true)
	if acl.Rights(perms.Anonymous) != internalSend {
		t.Errorf("EnableCrossForest: %s", acl.Rights(perms.Anonymous))
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
	tests := []struct {
		name      string
		opts      []SendOption
		dane, sts bool
	}{
		{"Internet on", []SendOption{WithUsage(UsageInternet)}, true, true},
		{"Internet turned off", []SendOption{WithUsage(UsageInternet), WithDANE(false), WithMTASTS(false)}, false, false},
		{"Custom off", nil, false, false},
		{"Partner off", []SendOption{WithUsage(UsagePartner)}, false, false},
		{"Custom turned on", []SendOption{WithDANE(true), WithMTASTS(true)}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewSend("Out", append([]SendOption{WithAddressSpaceList("*")}, tt.opts...)...)
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
