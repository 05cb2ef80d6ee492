package connector

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/perms"
)

// The seed documents' connectors, built with the public API and checked
// against the values the documents give. One subtest per connector; the
// command each reproduces is quoted.

const (
	headerRights = perms.SendRoutingHeaders | perms.SendOrganizationHeaders | perms.SendForestHeaders
	internalSend = headerRights | perms.SendExch50
)

type sendWant struct {
	usage      Usage
	spaces     string // addrspace.FormatList
	smartHosts string // fmt of SmartHosts
	dns        bool
	auth       auth.SmartHostAuth
	user       string
	requireTLS bool
	sources    string
	maxSize    int64
	remote     perms.Principal
	rights     perms.Right // RemoteRights
}

func checkSend(t *testing.T, c *SendConnector, err error, w sendWant) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	got := sendWant{
		usage: c.Config().Usage, spaces: addrspace.FormatList(c.AddressSpaces()), smartHosts: fmt.Sprint(c.SmartHosts()),
		dns: c.Config().DNSRoutingEnabled, auth: c.Config().SmartHostAuthMechanism, user: c.Policy().Credentials.Username,
		requireTLS: c.Config().RequireTLS, sources: fmt.Sprint(c.SourceTransportServers()), maxSize: c.MaxMessageSize(),
		remote: c.RemotePrincipal(), rights: c.RemoteRights(),
	}
	if got != w {
		t.Errorf("got  %+v\nwant %+v", got, w)
	}
	if c.Port() != 25 || c.SmtpMaxMessagesPerConnection() != 20 || c.ConnectionInactivityTimeout() != 10*time.Minute || !c.Enabled() {
		t.Errorf("defaults: port %d, msgs %d, inactivity %v, enabled %v", c.Port(), c.SmtpMaxMessagesPerConnection(),
			c.ConnectionInactivityTimeout(), c.Enabled())
	}
}

var (
	crossForestSpaces  = []addrspace.AddressSpace{addrspace.MustParse("FourthCoffee.com")}
	crossForestHosts   = []SmartHost{MustParseSmartHost("Hub1.FourthCoffee.Com"), MustParseSmartHost("Hub2.FourthCoffee.com")}
	crossForestSources = []string{"HubA.Contoso.com", "HubB.Contoso.com"}
	legacyHosts        = []SmartHost{MustParseSmartHost("Bridgehead1.FourthCoffee.Com"), MustParseSmartHost("Bridgehead2.FourthCoffee.com")}
	mycred             = Credential{UserName: `FOURTHCOFFEE\contoso`, Password: "secret"}
)

// fourthCoffee is seed 000's connector to the other forest before the
// command's last parameters: its address space, smart hosts and our source
// servers, no DNS routing, and $mycred for the Basic mechanisms.
func fourthCoffee(name string, u Usage, hosts []SmartHost, a auth.SmartHostAuth) SendConfig {
	cfg := NewSendConfig(name, u)
	cfg.AddressSpaces, cfg.SmartHosts, cfg.SourceTransportServers = crossForestSpaces, hosts, crossForestSources
	cfg.DNSRoutingEnabled, cfg.SmartHostAuthMechanism = false, a
	if a == auth.SmartHostBasicAuth || a == auth.SmartHostBasicAuthRequireTLS {
		cfg.AuthenticationCredential = mycred
	}
	return cfg
}

func TestSeedSendConnectors(t *testing.T) {
	fc, cfHosts, bhHosts := `"SMTP:fourthcoffee.com;1"`, "[hub1.fourthcoffee.com hub2.fourthcoffee.com]",
		"[bridgehead1.fourthcoffee.com bridgehead2.fourthcoffee.com]"
	cfSources, all := "[HubA.Contoso.com HubB.Contoso.com]", `"SMTP:*;1"`
	tests := []struct {
		name string
		c    func() (*SendConnector, error)
		want sendWant
	}{
		// 001: New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true
		{"001 edge To Internet", func() (*SendConnector, error) {
			cfg := NewSendConfig("To Internet", UsageInternet)
			cfg.Edge = true
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			cfg.DNSRoutingEnabled = true
			return cfg.Build()
		}, sendWant{UsageInternet, all, "[]", true, auth.SmartHostNone, "", false, "[]", 10 << 20, perms.Anonymous, perms.SendRoutingHeaders}},
		// 001: New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $False
		//      -SmartHosts Hub01.contoso.com,Hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $hubcred
		{"001 edge To Internal Org", func() (*SendConnector, error) {
			cfg := NewSendConfig("To Internal Org", UsageInternal)
			cfg.Edge = true
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*.contoso.com")}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("Hub01.contoso.com"), MustParseSmartHost("Hub02.contoso.com")}
			cfg.DNSRoutingEnabled = false
			cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
			cfg.AuthenticationCredential = Credential{UserName: `CONTOSO\edgeuser`, Password: "pw"}
			return cfg.Build()
		}, sendWant{UsageInternal, `"SMTP:*.contoso.com;1"`, "[hub01.contoso.com hub02.contoso.com]", false,
			auth.SmartHostBasicAuthRequireTLS, `CONTOSO\edgeuser`, false, "[]", 0, perms.Anonymous, 0}},
		// 001: New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False -SmartHosts edge01.contoso.net
		//      -SourceTransportServers hub01.contoso.com,hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
		{"001 hub To Edge", func() (*SendConnector, error) {
			cfg := NewSendConfig("To Edge", UsageInternal)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("edge01.contoso.net")}
			cfg.SourceTransportServers = []string{"hub01.contoso.com", "hub02.contoso.com"}
			cfg.DNSRoutingEnabled = false
			cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
			cfg.AuthenticationCredential = Credential{UserName: "edge01\\hubuser", Password: "pw"}
			return cfg.Build()
		}, sendWant{UsageInternal, all, "[edge01.contoso.net]", false, auth.SmartHostBasicAuthRequireTLS, `edge01\hubuser`,
			false, "[hub01.contoso.com hub02.contoso.com]", 0, perms.Anonymous, 0}},
		// 000: New-SendConnector -Name "Cross-Forest" -Usage Internal -AddressSpaces FourthCoffee.com -SmartHosts Hub1..., Hub2...
		//      -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers HubA..., HubB... -DNSRoutingEnabled $False
		//      Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON"
		{"000 cross-forest Basic over TLS", func() (*SendConnector, error) {
			cfg := fourthCoffee("Cross-Forest", UsageInternal, crossForestHosts, auth.SmartHostBasicAuthRequireTLS)
			cfg.EnableCrossForest("ANONYMOUS LOGON", false)
			return cfg.Build()
		}, sendWant{UsageInternal, fc, cfHosts, false, auth.SmartHostBasicAuthRequireTLS, `FOURTHCOFFEE\contoso`, false, cfSources, 0, perms.Anonymous, headerRights}},
		// 000: ... -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $mycred ... -requireTLS $True -DNSRoutingEnabled $False
		{"000 cross-forest Basic with RequireTLS", func() (*SendConnector, error) {
			cfg := fourthCoffee("Cross-Forest", UsageInternal, crossForestHosts, auth.SmartHostBasicAuth)
			cfg.RequireTLS = true
			cfg.EnableCrossForest(perms.Anonymous, false)
			return cfg.Build()
		}, sendWant{UsageInternal, fc, cfHosts, false, auth.SmartHostBasicAuth, `FOURTHCOFFEE\contoso`, true, cfSources, 0, perms.Anonymous, headerRights}},
		// 000: ... -SmartHostAuthMechanism ExternalAuthoritative -SourceTransportServers HubA..., HubB... -DNSRoutingEnabled $False
		{"000 cross-forest ExternalAuthoritative", func() (*SendConnector, error) {
			cfg := fourthCoffee("Cross-Forest", UsageInternal, crossForestHosts, auth.SmartHostExternalAuthoritative)
			return cfg.Build()
		}, sendWant{UsageInternal, fc, cfHosts, false, auth.SmartHostExternalAuthoritative, "", false, cfSources, 0, perms.ExternallySecuredServers, internalSend}},
		// 000: New-SendConnector -Name "Legacy Forest" -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred
		//      -AddressSpaces FourthCoffee.com -SmartHosts Bridgehead1..., Bridgehead2... -SourceTransportServers ... -DNSRoutingEnabled $False
		//      Enable-CrossForestConnector -Connector "Legacy Forest" -user "ANONYMOUS LOGON" -genericMTA
		{"000 legacy forest Basic over TLS", func() (*SendConnector, error) {
			cfg := fourthCoffee("Legacy Forest", UsageCustom, legacyHosts, auth.SmartHostBasicAuthRequireTLS)
			cfg.EnableCrossForest("ANONYMOUS LOGON", true)
			return cfg.Build()
		}, sendWant{UsageCustom, fc, bhHosts, false, auth.SmartHostBasicAuthRequireTLS, `FOURTHCOFFEE\contoso`, false, cfSources, 10 << 20, perms.Anonymous, internalSend}},
		// 000: New-SendConnector -Name "Legacy Forest" -SmartHostAuthMechanism BasicAuth ... -RequireTLS $True -DNSRoutingEnabled $False
		{"000 legacy forest Basic with RequireTLS", func() (*SendConnector, error) {
			cfg := fourthCoffee("Legacy Forest", UsageCustom, legacyHosts, auth.SmartHostBasicAuth)
			cfg.RequireTLS = true
			cfg.EnableCrossForest(perms.Anonymous, true)
			return cfg.Build()
		}, sendWant{UsageCustom, fc, bhHosts, false, auth.SmartHostBasicAuth, `FOURTHCOFFEE\contoso`, true, cfSources, 10 << 20, perms.Anonymous, internalSend}},
		// 000: New-SendConnector -Name "Legacy Forest" -Usage Internal ... -SmartHostAuthMechanism ExternalAuthoritative ... -DNSRoutingEnabled $False
		{"000 legacy forest ExternalAuthoritative", func() (*SendConnector, error) {
			cfg := fourthCoffee("Legacy Forest", UsageInternal, crossForestHosts, auth.SmartHostExternalAuthoritative)
			return cfg.Build()
		}, sendWant{UsageInternal, fc, cfHosts, false, auth.SmartHostExternalAuthoritative, "", false, cfSources, 0, perms.ExternallySecuredServers, internalSend}},
		// 002: EAC: Internal, smart host 64.4.6.100, Basic authentication, address space fourthcoffee.com, a source server;
		//      .\Enable-CrossForestConnector.ps1 -Connector "Cross-Forest" -user "ANONYMOUS LOGON"
		{"002 cross-forest 2013", func() (*SendConnector, error) {
			cfg := NewSendConfig("Cross-Forest", UsageInternal)
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("64.4.6.100")}
			cfg.DNSRoutingEnabled = false
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("fourthcoffee.com")}
			cfg.SourceTransportServers = []string{"HubA"}
			cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuth
			cfg.AuthenticationCredential = mycred
			cfg.EnableCrossForest(perms.Anonymous, false)
			return cfg.Build()
		}, sendWant{UsageInternal, fc, "[[64.4.6.100]]", false, auth.SmartHostBasicAuth, `FOURTHCOFFEE\contoso`, false, "[HubA]", 0, perms.Anonymous, headerRights}},
		// 004: New-SendConnector -Name "ToInternetGateway" -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com"
		//      -SmartHostAuthMechanism BasicAuth,BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers "HubA" -DNSRoutingEnabled $false
		{"004 gateway Basic", func() (*SendConnector, error) {
			mech, err := auth.ParseSmartHostAuth("BasicAuth,BasicAuthRequireTLS")
			if err != nil {
				return nil, err
			}
			cfg := NewSendConfig("ToInternetGateway", UsageCustom)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"*"`)}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("smtpgateway1.contoso.com")}
			cfg.SourceTransportServers = []string{"HubA"}
			cfg.SmartHostAuthMechanism = mech
			cfg.AuthenticationCredential = Credential{UserName: "smtpgateway@fabrikam.com", Password: "pw"}
			cfg.DNSRoutingEnabled = false
			return cfg.Build()
		}, sendWant{UsageCustom, all, "[smtpgateway1.contoso.com]", false, auth.SmartHostBasicAuthRequireTLS, "smtpgateway@fabrikam.com", false, "[HubA]", 10 << 20, perms.Anonymous, 0}},
		// 004: New-SendConnector -Name "ToInternetGateway" -Usage Internal -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com"
		//      -SmartHostAuthMechanism ExternalAuthoritative -SourceTransportServers "HubA" -DNSRoutingEnabled $false
		{"004 gateway externally secured", func() (*SendConnector, error) {
			cfg := NewSendConfig("ToInternetGateway", UsageInternal)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"*"`)}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("smtpgateway1.contoso.com")}
			cfg.SourceTransportServers = []string{"HubA"}
			cfg.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative
			cfg.DNSRoutingEnabled = false
			return cfg.Build()
		}, sendWant{UsageInternal, all, "[smtpgateway1.contoso.com]", false, auth.SmartHostExternalAuthoritative, "", false, "[HubA]", 0, perms.ExternallySecuredServers, internalSend}},
		// 004: New-SendConnector -Name "ToInternetGateway" -Usage Internet -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com"
		//      -SmartHostAuthMechanism None -SourceTransportServers "HubA" -DNSRoutingEnabled $false
		{"004 gateway anonymous relay", func() (*SendConnector, error) {
			cfg := NewSendConfig("ToInternetGateway", UsageInternet)
			cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"*"`)}
			cfg.SmartHosts = []SmartHost{MustParseSmartHost("smtpgateway1.contoso.com")}
			cfg.SourceTransportServers = []string{"HubA"}
			cfg.SmartHostAuthMechanism = auth.SmartHostNone
			cfg.DNSRoutingEnabled = false
			return cfg.Build()
		}, sendWant{UsageInternet, all, "[smtpgateway1.contoso.com]", false, auth.SmartHostNone, "", false, "[HubA]", 10 << 20, perms.Anonymous, perms.SendRoutingHeaders}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.c()
			checkSend(t, c, err, tt.want)
		})
	}
}

type receiveWant struct {
	usage    Usage
	bindings string
	ranges   string
	mech     auth.Mechanism
	groups   perms.Group
}

func checkReceive(t *testing.T, c *ReceiveConnector, err error, w receiveWant) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	got := receiveWant{c.Config().Usage, fmt.Sprint(c.Bindings()), fmt.Sprint(c.Config().RemoteIPRanges), c.AuthMechanism(), c.Config().PermissionGroups}
	if got != w {
		t.Errorf("got  %+v\nwant %+v", got, w)
	}
}

// The seeds leave the remote server's address as a placeholder
// ("<IP address of Fourth Coffee Hub Transport server>"); this stands in.
const fourthCoffeeHub = "64.4.6.100"

func seedEdgeReceive(t *testing.T) (fromInternet, toInternalOrg *ReceiveConnector) {
	t.Helper()
	// 001: Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internet" -Bindings 10.1.1.1:25,
	// applied to the Edge default connector (Tls, ExchangeServer; AnonymousUsers, ExchangeServers, Partners).
	fromInternetCfg := NewEdgeReceiveConfig("From Internet", UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
	fromInternetCfg.AuthMechanism = auth.TLS | auth.ExchangeServer
	fromInternetCfg.PermissionGroups = perms.AnonymousUsers | perms.ExchangeServers | perms.Partners
	fromInternet, err := fromInternetCfg.Build()
	checkReceive(t, fromInternet, err, receiveWant{UsageInternet, "[10.1.1.1:25]", "[0.0.0.0-255.255.255.255]",
		auth.TLS | auth.ExchangeServer, perms.AnonymousUsers | perms.ExchangeServers | perms.Partners})
	// 001: New-ReceiveConnector -Name "To Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer
	//      -Bindings 10.1.1.1:25 -RemoteIPRanges 192.168.5.10,192.168.5.20
	mech, err := auth.ParseMechanisms("TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer")
	if err != nil {
		t.Fatal(err)
	}
	toInternalOrgCfg := NewEdgeReceiveConfig("To Internal Org", UsageInternal)
	toInternalOrgCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
	toInternalOrgCfg.RemoteIPRanges = []IPRange{MustParseIPRange("192.168.5.10"), MustParseIPRange("192.168.5.20")}
	toInternalOrgCfg.AuthMechanism = mech
	toInternalOrg, err = toInternalOrgCfg.Build()
	checkReceive(t, toInternalOrg, err, receiveWant{UsageInternal, "[10.1.1.1:25]", "[192.168.5.10 192.168.5.20]",
		mech, perms.ExchangeServers}) // no ExchangeLegacyServers on Edge
	return fromInternet, toInternalOrg
}

func TestSeedReceiveConnectors(t *testing.T) {
	t.Run("001 edge From Internet and To Internal Org", func(t *testing.T) {
		fromInternet, toInternalOrg := seedEdgeReceive(t)
		if fromInternet.ConnectionTimeout() != 5*time.Minute || fromInternet.ConnectionInactivityTimeout() != time.Minute {
			t.Errorf("Edge timeouts: %v %v", fromInternet.ConnectionTimeout(), fromInternet.ConnectionInactivityTimeout())
		}
		// Both bind 10.1.1.1:25 in the document; the hubs' addresses are
		// nested in the Internet range, so the set is valid and the hubs
		// reach the internal connector.
		s, err := NewSet(fromInternet, toInternalOrg)
		if err != nil {
			t.Fatal(err)
		}
		local := netip.MustParseAddrPort("10.1.1.1:25")
		for remote, want := range map[string]string{"192.168.5.10": "To Internal Org", "192.168.5.20": "To Internal Org",
			"192.168.5.11": "From Internet", "203.0.113.9": "From Internet"} {
			if c, err := s.Select(local, netip.MustParseAddr(remote)); err != nil || c.Name() != want {
				t.Errorf("%s: %v %v, want %s", remote, c, err, want)
			}
		}
		anon := fromInternet.Rights(perms.Anonymous)
		if !anon.Has(perms.Submit|perms.AcceptRoutingHeaders) || anon.Has(perms.AcceptAnyRecipient|perms.AcceptOrganizationHeaders) {
			t.Errorf("anonymous rights on From Internet: %s", anon)
		}
	})
	// 000: New-ReceiveConnector -Name "Cross-Forest" -Server HubA -PermissionGroups ExchangeServers
	//      -RemoteIPRanges <IP address of Fourth Coffee Hub Transport server> -AuthMechanism ExternalAuthoritative -Bindings 0.0.0.0:25
	t.Run("000 cross-forest receive ExternalAuthoritative", func(t *testing.T) {
		cCfg := NewReceiveConfig("Cross-Forest", UsageCustom)
		cCfg.RemoteIPRanges = []IPRange{MustParseIPRange(fourthCoffeeHub)}
		cCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
		cCfg.PermissionGroups = perms.ExchangeServers
		cCfg.AuthMechanism = auth.ExternalAuthoritative
		c, err := cCfg.Build()
		checkReceive(t, c, err, receiveWant{UsageCustom, "[0.0.0.0:25]", "[64.4.6.100]", auth.ExternalAuthoritative, perms.ExchangeServers})
		if r := c.Rights(perms.ExternallySecuredServers); !r.Has(perms.AcceptAnyRecipient|perms.BypassAntiSpam) || r.Has(perms.AcceptOrganizationHeaders) {
			t.Errorf("externally secured rights: %s", r)
		}
	})
	// 000: New-ReceiveConnector -Name "Legacy Forest" -Usage Internal -Server HubA -PermissionGroups ExchangeServers
	//      -RemoteIPRanges <IP ...> -AuthMechanism ExternalAuthoritative -Bindings 0.0.0.0:25
	t.Run("000 legacy forest receive ExternalAuthoritative", func(t *testing.T) {
		cCfg := NewReceiveConfig("Legacy Forest", UsageInternal)
		cCfg.RemoteIPRanges = []IPRange{MustParseIPRange(fourthCoffeeHub)}
		cCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
		cCfg.PermissionGroups = perms.ExchangeServers
		cCfg.AuthMechanism = auth.ExternalAuthoritative
		c, err := cCfg.Build()
		checkReceive(t, c, err, receiveWant{UsageInternal, "[0.0.0.0:25]", "[64.4.6.100]", auth.ExternalAuthoritative, perms.ExchangeServers})
	})
	// 004: New-ReceiveConnector -Name "FromInternetGateway" -Server HubA -Usage Internal -RemoteIPRanges 192.168.1.10 -AuthMechanism ExternalAuthoritative
	t.Run("004 gateway receive externally secured", func(t *testing.T) {
		cCfg := NewReceiveConfig("FromInternetGateway", UsageInternal)
		cCfg.RemoteIPRanges = []IPRange{MustParseIPRange("192.168.1.10")}
		cCfg.AuthMechanism = auth.ExternalAuthoritative
		c, err := cCfg.Build()
		checkReceive(t, c, err, receiveWant{UsageInternal, "[0.0.0.0:25]", "[192.168.1.10]", auth.ExternalAuthoritative,
			perms.ExchangeServers | perms.ExchangeLegacyServers})
	})
	// 004: New-ReceiveConnector -Name "FromInternetGateway" -Server HubA -Usage Custom -PermissionGroups AnonymousUsers
	//      -Bindings 10.2.3.4:25 -RemoteIpRanges 192.168.5.77
	//      Get-ReceiveConnector "FromInternetGateway" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"
	t.Run("004 gateway receive anonymous relay", func(t *testing.T) {
		right, err := perms.ParseRights("Ms-Exch-SMTP-Accept-Any-Recipient")
		if err != nil {
			t.Fatal(err)
		}
		cfg := NewReceiveConfig("FromInternetGateway", UsageCustom)
		cfg.PermissionGroups = perms.AnonymousUsers
		cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.2.3.4:25")}
		cfg.Permissions = []Permission{{User: `NT AUTHORITY\ANONYMOUS LOGON`, ExtendedRights: right}}
		cfg.RemoteIPRanges = []IPRange{MustParseIPRange("192.168.5.77")}
		c, err := cfg.Build()
		checkReceive(t, c, err, receiveWant{UsageCustom, "[10.2.3.4:25]", "[192.168.5.77]", auth.TLS, perms.AnonymousUsers})
		if !c.Rights(perms.Anonymous).Has(perms.Submit | perms.AcceptAnyRecipient) {
			t.Errorf("anonymous rights: %s", c.Rights(perms.Anonymous))
		}
		// The same connector open to the world is refused unless forced.
		cfg.RemoteIPRanges = []IPRange{MustParseIPRange("0.0.0.0-255.255.255.255")}
		if _, err = cfg.Build(); !errors.Is(err, ErrOpenRelay) {
			t.Fatalf("err = %v, want ErrOpenRelay", err)
		}
		cfg.AllowOpenRelay = true
		if _, err = cfg.Build(); err != nil {
			t.Fatal(err)
		}
	})
}
