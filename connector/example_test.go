package connector_test

import (
	"fmt"
	"net/netip"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
)

// Seed 001, Edge server: New-SendConnector -Name "To Internet"
// -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true.
func ExampleSendConfig_Build_edgeToInternet() {
	cfg := connector.NewSendConfig("To Internet", connector.UsageInternet)
	cfg.Edge = true
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	cfg.DNSRoutingEnabled = true
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), c.Config().Usage, c.AddressSpaces(), "DNS:", c.Config().DNSRoutingEnabled)
	fmt.Println("remote:", c.RemotePrincipal(), "keeps:", c.RemoteRights())
	// Output:
	// To Internet Internet [SMTP:*;1] DNS: true
	// remote: NT AUTHORITY\ANONYMOUS LOGON keeps: Ms-Exch-Send-Headers-Routing
}

// Seed 001, Edge server: the send connector to the internal organization,
// Basic authentication over TLS to the hubs.
func ExampleSendConfig_Build_edgeToInternalOrg() {
	cfg := connector.NewSendConfig("To Internal Org", connector.UsageInternal)
	cfg.Edge = true
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*.contoso.com")}
	cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("Hub01.contoso.com"), connector.MustParseSmartHost("Hub02.contoso.com")}
	cfg.DNSRoutingEnabled = false
	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	cfg.AuthenticationCredential = connector.Credential{UserName: `CONTOSO\edgesvc`, Password: "secret"}
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	p := c.Policy()
	fmt.Println(c.AddressSpaces(), c.SmartHosts(), p.Auth, p.Credentials.Username)
	fmt.Println("max size unlimited:", c.MaxMessageSize() == 0)
	// Output:
	// [SMTP:*.contoso.com;1] [hub01.contoso.com hub02.contoso.com] BasicAuthRequireTLS CONTOSO\edgesvc
	// max size unlimited: true
}

// Seed 001, Edge server: "From Internet" (the default receive connector
// bound to the Internet-facing address) and "To Internal Org" share
// 10.1.1.1:25; the hubs' addresses go to the internal connector.
func ExampleReceiveConfig_Build_edge() {
	fromInternetCfg := connector.NewEdgeReceiveConfig("From Internet", connector.UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
	fromInternetCfg.AuthMechanism = auth.TLS | auth.ExchangeServer
	fromInternetCfg.PermissionGroups = perms.AnonymousUsers | perms.ExchangeServers | perms.Partners
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	toInternalOrgCfg := connector.NewEdgeReceiveConfig("To Internal Org", connector.UsageInternal)
	toInternalOrgCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
	toInternalOrgCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("192.168.5.10"), connector.MustParseIPRange("192.168.5.20")}
	toInternalOrgCfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
	toInternalOrg, err := toInternalOrgCfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := connector.NewSet(fromInternet, toInternalOrg)
	if err != nil {
		fmt.Println(err)
		return
	}
	local := netip.MustParseAddrPort("10.1.1.1:25")
	for _, remote := range []string{"192.168.5.10", "203.0.113.7"} {
		c, _ := set.Select(local, netip.MustParseAddr(remote))
		fmt.Printf("%s -> %s (%s; %s)\n", remote, c.Name(), c.AuthMechanism(), c.Config().PermissionGroups)
	}
	fmt.Println("Edge timeouts:", fromInternet.ConnectionTimeout(), fromInternet.ConnectionInactivityTimeout())
	// Output:
	// 192.168.5.10 -> To Internal Org (Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer; ExchangeServers)
	// 203.0.113.7 -> From Internet (Tls, ExchangeServer; AnonymousUsers, ExchangeServers, Partners)
	// Edge timeouts: 5m0s 1m0s
}

// Seed 001, Hub server: the send connector to the Edge server.
func ExampleSendConfig_Build_hubToEdge() {
	cfg := connector.NewSendConfig("To Edge", connector.UsageInternal)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("edge01.contoso.net")}
	cfg.SourceTransportServers = []string{"hub01.contoso.com", "hub02.contoso.com"}
	cfg.DNSRoutingEnabled = false
	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	cfg.AuthenticationCredential = connector.Credential{UserName: `edge01\hubsvc`, Password: "secret"}
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.SmartHosts(), c.SourceTransportServers(), c.Config().SmartHostAuthMechanism)
	// Output:
	// [edge01.contoso.net] [hub01.contoso.com hub02.contoso.com] BasicAuthRequireTLS
}

// Seeds 000 and 002: a cross-forest connector with Basic authentication,
// then Enable-CrossForestConnector -user "ANONYMOUS LOGON" so that the
// other forest receives our organization and forest headers.
func ExampleSendConfig_Build_crossForest() {
	cfg := connector.NewSendConfig("Cross-Forest", connector.UsageInternal)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("FourthCoffee.com")}
	cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("Hub1.FourthCoffee.Com"), connector.MustParseSmartHost("Hub2.FourthCoffee.com")}
	cfg.SourceTransportServers = []string{"HubA.Contoso.com", "HubB.Contoso.com"}
	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	cfg.AuthenticationCredential = connector.Credential{UserName: "FourthCoffee@Contoso.com", Password: "secret"}
	cfg.DNSRoutingEnabled = false
	cfg.EnableCrossForest("ANONYMOUS LOGON", false)
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.RemotePrincipal())
	fmt.Println(c.RemoteRights())

	// An IP literal cannot be checked against a certificate name.
	ip := connector.NewSendConfig("Cross-Forest", connector.UsageInternal)
	ip.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("fourthcoffee.com")}
	ip.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("64.4.6.100")}
	ip.DNSRoutingEnabled = false
	ip.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	ip.AuthenticationCredential = connector.Credential{UserName: "FourthCoffee@Contoso.com", Password: "secret"}
	_, err = ip.Build()
	fmt.Println(err)
	// Output:
	// NT AUTHORITY\ANONYMOUS LOGON
	// Ms-Exch-Send-Headers-Routing, Ms-Exch-Send-Headers-Organization, Ms-Exch-Send-Headers-Forest
	// connector: "Cross-Forest": SmartHosts: BasicAuthRequireTLS validates the certificate against the smart host's FQDN; [64.4.6.100] is an IP address
}

// Seed 000: an Exchange 2003 forest, Basic authentication with RequireTLS,
// and Enable-CrossForestConnector -genericMTA, which adds Exch50.
func ExampleSendConfig_Build_legacyForest() {
	cfg := connector.NewSendConfig("Legacy Forest", connector.UsageCustom)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("FourthCoffee.com")}
	cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("Bridgehead1.FourthCoffee.Com"), connector.MustParseSmartHost("Bridgehead2.FourthCoffee.com")}
	cfg.SourceTransportServers = []string{"HubA.Contoso.com", "HubB.Contoso.com"}
	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuth
	cfg.AuthenticationCredential = connector.Credential{UserName: "FourthCoffee@Contoso.com", Password: "secret"}
	cfg.RequireTLS = true
	cfg.DNSRoutingEnabled = false
	cfg.EnableCrossForest(perms.Anonymous, true)
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Config().Usage, "RequireTLS:", c.Config().RequireTLS)
	fmt.Println(c.RemoteRights().Has(perms.SendExch50))
	// Output:
	// Custom RequireTLS: true
	// true
}

// Seeds 000 and 004: externally secured links (IPsec): the send side
// treats the peer as Externally Secured Servers, the receive side trusts
// every session from the peer's address.
func ExampleReceiveConfig_Build_externallySecured() {
	sendCfg := connector.NewSendConfig("ToInternetGateway", connector.UsageInternal)
	sendCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"*"`)}
	sendCfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("smtpgateway1.contoso.com")}
	sendCfg.SourceTransportServers = []string{"HubA"}
	sendCfg.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative
	sendCfg.DNSRoutingEnabled = false
	send, err := sendCfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	recvCfg := connector.NewReceiveConfig("FromInternetGateway", connector.UsageInternal)
	recvCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("192.168.1.10")}
	recvCfg.AuthMechanism = auth.ExternalAuthoritative
	recv, err := recvCfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(send.RemotePrincipal())
	fmt.Println(recv.Bindings(), recv.Config().RemoteIPRanges, recv.AuthMechanism())
	fmt.Println(recv.Rights(perms.ExternallySecuredServers).Has(perms.AcceptAnyRecipient | perms.BypassMessageSizeLimit))

	// Open to every address, the same connector would be an open relay.
	cfg := connector.NewReceiveConfig("FromInternetGateway", connector.UsageInternal)
	cfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("0.0.0.0/0")}
	cfg.AuthMechanism = auth.ExternalAuthoritative
	_, err = cfg.Build()
	fmt.Println(err != nil)
	// Output:
	// MS Exchange\Externally Secured Servers
	// [0.0.0.0:25] [192.168.1.10] ExternalAuthoritative
	// true
	// true
}

// Seed 004: anonymous relay for one gateway: AnonymousUsers plus
// Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON"
// -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient".
func ExampleReceiveConfig_Build_anonymousRelay() {
	relay, err := perms.ParseRights("Ms-Exch-SMTP-Accept-Any-Recipient")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := connector.NewReceiveConfig("FromInternetGateway", connector.UsageCustom)
	cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.2.3.4:25")}
	cfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("192.168.5.77")}
	cfg.Permissions = []connector.Permission{{User: perms.Anonymous, ExtendedRights: relay}}
	cfg.PermissionGroups = perms.AnonymousUsers
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Bindings(), c.Config().RemoteIPRanges)
	fmt.Println(c.Rights(perms.Anonymous).Has(relay))
	// Output:
	// [10.2.3.4:25] [192.168.5.77]
	// true
}

// Seed 004: a gateway reached with Basic authentication; the document's
// "BasicAuth,BasicAuthRequireTLS" means Basic over TLS.
func ExampleSendConfig_Build_gatewayBasic() {
	mech, err := auth.ParseSmartHostAuth("BasicAuth,BasicAuthRequireTLS")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := connector.NewSendConfig("ToInternetGateway", connector.UsageCustom)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse(`"*"`)}
	cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("smtpgateway1.contoso.com")}
	cfg.SourceTransportServers = []string{"HubA"}
	cfg.SmartHostAuthMechanism = mech
	cfg.AuthenticationCredential = connector.Credential{UserName: "smtpgateway@fabrikam.com", Password: "secret"}
	cfg.DNSRoutingEnabled = false
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Config().Usage, c.Config().SmartHostAuthMechanism, c.SmartHosts()[0].Dial(c.Port()))
	// Output:
	// Custom BasicAuthRequireTLS smtpgateway1.contoso.com:25
}

// Seed 003, Table 1: what each usage type grants by default.
func ExampleSendConfig_Build_usageTypes() {
	for _, u := range []connector.Usage{connector.UsageCustom, connector.UsageInternal,
		connector.UsageInternet, connector.UsagePartner} {
		cfg := connector.NewSendConfig(u.String(), u)
		cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
		if u == connector.UsageInternal {
			cfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("hub.contoso.com")}
		}
		c, err := cfg.Build()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: auth %s, %d principals, remote %s\n", u, c.Config().SmartHostAuthMechanism, len(c.ACL().Grants()), c.RemotePrincipal())
	}
	// Output:
	// Custom: auth None, 0 principals, remote NT AUTHORITY\ANONYMOUS LOGON
	// Internal: auth ExchangeServer, 5 principals, remote MS Exchange\Hub Transport Servers
	// Internet: auth None, 1 principals, remote NT AUTHORITY\ANONYMOUS LOGON
	// Partner: auth None, 1 principals, remote MS Exchange\Partner Servers
}

// Nested remote ranges on one binding: the most specific wins.
func ExampleSet_Select() {
	mk := func(name, ranges string) *connector.ReceiveConnector {
		cfg := connector.NewReceiveConfig(name, connector.UsageCustom)
		cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
		cfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange(ranges)}
		cfg.PermissionGroups = perms.AnonymousUsers
		c, err := cfg.Build()
		if err != nil {
			panic(err)
		}
		return c
	}
	set, err := connector.NewSet(mk("everyone", "0.0.0.0-255.255.255.255"),
		mk("lan", "192.168.1.0-192.168.1.255"), mk("scanner", "192.168.1.75"))
	if err != nil {
		fmt.Println(err)
		return
	}
	local := netip.MustParseAddrPort("10.0.0.1:25")
	for _, ip := range []string{"192.168.1.75", "192.168.1.100", "198.51.100.1", "2001:db8::1"} {
		c, err := set.Select(local, netip.MustParseAddr(ip))
		fmt.Println(ip, c, err)
	}
	// Output:
	// 192.168.1.75 scanner <nil>
	// 192.168.1.100 lan <nil>
	// 198.51.100.1 everyone <nil>
	// 2001:db8::1 <nil> connector: no receive connector for this connection
}

func ExampleParseIPRange() {
	for _, s := range []string{"192.168.1.1", "192.168.1.1-192.168.1.254", "2001:0DB8::CD3/60", "fe80::1%11"} {
		r, err := connector.ParseIPRange(s)
		fmt.Println(r, r.From(), r.To(), err)
	}
	// Output:
	// 192.168.1.1 192.168.1.1 192.168.1.1 <nil>
	// 192.168.1.1-192.168.1.254 192.168.1.1 192.168.1.254 <nil>
	// 2001:db8::/60 2001:db8:: 2001:db8:0:f:ffff:ffff:ffff:ffff <nil>
	// fe80::1%11 fe80::1%11 fe80::1%11 <nil>
}

// Seed 001, Hub server, as configuration data:
//
//	New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False
//	    -SmartHosts edge01.contoso.net -SourceTransportServers hub01.contoso.com,hub02.contoso.com
//	    -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
//
// NewSendConfig applies the usage's defaults (-Usage Internal: no DNS
// routing, no size limit); the fields are the other parameters.
func ExampleSendConfig() {
	cfg := connector.NewSendConfig("To Edge", connector.UsageInternal)
	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	cfg.DNSRoutingEnabled = false
	cfg.SmartHosts = []connector.SmartHost{{Host: "edge01.contoso.net"}}
	cfg.SourceTransportServers = []string{"hub01.contoso.com", "hub02.contoso.com"}
	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	cfg.AuthenticationCredential = connector.Credential{UserName: `edge01\hubsvc`, Password: "secret"}
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), c.SmartHosts(), c.Config().SmartHostAuthMechanism, "unlimited:", c.MaxMessageSize() == connector.Unlimited)
	fmt.Println(c.Config().AuthenticationCredential)

	// Set-SendConnector "To Edge" -MaxMessageSize 20MB starts from the
	// built connector and replaces it.
	next := c.Config()
	next.MaxMessageSize = 20 << 20
	c, err = next.Build()
	fmt.Println(c.MaxMessageSize(), err)
	// Output:
	// To Edge [edge01.contoso.net] BasicAuthRequireTLS unlimited: true
	// edge01\hubsvc (password REDACTED)
	// 20971520 <nil>
}

// A receive connector as configuration data: seed 001's Edge connector
// for the hubs.
func ExampleReceiveConfig() {
	cfg := connector.NewEdgeReceiveConfig("To Internal Org", connector.UsageInternal)
	cfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
	cfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.1.1.1:25")}
	cfg.RemoteIPRanges = []connector.IPRange{
		connector.MustParseIPRange("192.168.5.10"), connector.MustParseIPRange("192.168.5.20")}
	c, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name(), c.Bindings(), c.Config().PermissionGroups, c.ConnectionTimeout())
	// Output:
	// To Internal Org [10.1.1.1:25] ExchangeServers 5m0s
}
