package cmdlet_test

import (
	"fmt"
	"os"

	"github.com/hubedge/hubedge/cmdlet"
)

// A line of the cross-forest document, as an administrator types it.
func Example() {
	src := []byte(`$mycred = get-credential
New-SendConnector -Name "Cross-Forest" -Usage Internal -AddressSpaces FourthCoffee.com -SmartHosts Hub1.FourthCoffee.Com, Hub2.FourthCoffee.com ` + "`" + `
    -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers HubA.Contoso.com, HubB.Contoso.com -DNSRoutingEnabled $False
Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON"
`)
	creds := cmdlet.CredentialMap{"mycred": {UserName: `FOURTHCOFFEE\contoso`, Password: "not printed"}}
	cfg, err := cmdlet.Load("crossforest.ps1", src, nil, cmdlet.Options{Server: "HubA.Contoso.com", Credentials: creds})
	if err != nil {
		fmt.Println(err)
		return
	}
	send, _ := cfg.ForServer("HubA")
	c := send[0].Connector
	fmt.Println(c.Name(), c.AddressSpaces(), c.SmartHosts(), c.Config().SmartHostAuthMechanism)
	fmt.Println(c.Policy().Credentials)
	fmt.Println(send[0].Config.Permissions[0].ExtendedRights)
	// Output:
	// Cross-Forest [SMTP:fourthcoffee.com;1] [hub1.fourthcoffee.com hub2.fourthcoffee.com] BasicAuthRequireTLS
	// Credentials{Username: "FOURTHCOFFEE\\contoso", Password: REDACTED}
	// Ms-Exch-Send-Headers-Routing, Ms-Exch-Send-Headers-Organization, Ms-Exch-Send-Headers-Forest
}

// Errors carry the file, line and column of the fault, and the cmdlet.
func ExampleLoad_errors() {
	src := []byte(`New-ReceiveConnector -Name "Cross-Forest" -PermissionGroups ExchangeServers -RemoteIPRanges <IP address of Fourth Coffee Hub Transport server> -Bindings 0.0.0.0:25
Set-SendConnector "To Edge" -MaxMessageSize 10XB
`)
	_, err := cmdlet.Load("hub.ps1", src, nil, cmdlet.Options{})
	fmt.Println(err)
	// Output:
	// hub.ps1:1:93: New-ReceiveConnector: placeholder <IP address of Fourth Coffee Hub Transport server> must be replaced by a value
	// hub.ps1:2:1: Set-SendConnector: no send connector "To Edge"
}

// The JSON form uses the reference system's property names and spellings.
func ExampleConfig_MarshalJSON() {
	cfg, err := cmdlet.Load("gw.ps1", []byte(`New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative`), nil, cmdlet.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	j, _ := cfg.MarshalJSON()
	os.Stdout.Write(j[:len(`{"SendConnectors":[],"ReceiveConnectors":[],"AcceptedDomains":[{"Name":"Contoso","DomainName":"contoso.com","DomainType":"Authoritative"}]`)])
	fmt.Println()
	// Output:
	// {"SendConnectors":[],"ReceiveConnectors":[],"AcceptedDomains":[{"Name":"Contoso","DomainName":"contoso.com","DomainType":"Authoritative"}]
}

// The Edge's anti-spam agents configured as the reference system's
// administrators do, and handed to the agents.
func ExampleConfig_ConnectionFilter() {
	src := []byte(`Add-IPBlockListEntry -IPRange 192.0.2.0/24 -Comment "spam run"
Add-IPBlockListProvider -Name Spamhaus -LookupDomain zen.spamhaus.org -AnyMatch $true
Set-ContentFilterConfig -SCLRejectThreshold 6 -SCLQuarantineEnabled $true -QuarantineMailbox spam@contoso.com
`)
	cfg, err := cmdlet.Load("edge.ps1", src, nil, cmdlet.Options{Edge: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	cf := cfg.ConnectionFilter()
	fmt.Println(cf.BlockList[0], cf.BlockListProviders[0].LookupDomain)
	content := cfg.ContentFilter.Agent()
	fmt.Println(content.SCLRejectThreshold, content.QuarantineMailbox)
	// Output:
	// 192.0.2.0-192.0.2.255 zen.spamhaus.org
	// 6 spam@contoso.com
}
