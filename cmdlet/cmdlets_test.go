package cmdlet

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
)

// The seed connectors, declared by hand as the examples build them, must
// be what the seed lines give.
func TestSeedConnectorsMatchHandBuilt(t *testing.T) {
	hubs := []connector.SmartHost{{Host: "hub1.fourthcoffee.com"}, {Host: "hub2.fourthcoffee.com"}}
	fc := []addrspace.AddressSpace{addrspace.MustParse("fourthcoffee.com")}
	crossForest := connector.NewSendConfig("Cross-Forest", connector.UsageInternal)
	crossForest.AddressSpaces, crossForest.SmartHosts = fc, hubs
	crossForest.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	crossForest.AuthenticationCredential = connector.Credential{UserName: `FOURTHCOFFEE\contoso`, Password: "pw"}
	crossForest.SourceTransportServers = []string{"HubA.Contoso.com", "HubB.Contoso.com"}
	crossForest.Permissions = []connector.Permission{{User: "ANONYMOUS LOGON", ExtendedRights: connector.CrossForestRights(false)}}

	gateway := connector.NewReceiveConfig("FromInternetGateway", connector.UsageCustom)
	gateway.Server = "HubA"
	gateway.PermissionGroups = perms.AnonymousUsers
	gateway.Bindings = []netip.AddrPort{netip.MustParseAddrPort("10.2.3.4:25")}
	gateway.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("192.168.5.77")}
	gateway.Permissions = []connector.Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}

	toInternet := connector.NewSendConfig("To Internet", connector.UsageInternet)
	toInternet.Edge = true
	toInternet.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}

	c := mustLoad(t, nil, Options{Credentials: CredentialMap{"mycred": {UserName: `FOURTHCOFFEE\contoso`, Password: "pw"}}}, `
$mycred = get-credential
New-SendConnector -Name "Cross-Forest" -Usage Internal  -AddressSpaces FourthCoffee.com -SmartHosts Hub1.FourthCoffee.Com, Hub2.FourthCoffee.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers HubA.Contoso.com, HubB.Contoso.com -DNSRoutingEnabled $False
Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON"
New-ReceiveConnector -Name "FromInternetGateway" -Server HubA -Usage Custom -PermissionGroups AnonymousUsers -Bindings 10.2.3.4:25 -RemoteIpRanges 192.168.5.77
Get-ReceiveConnector "FromInternetGateway" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"
`)
	edge := mustLoad(t, nil, Options{Edge: true}, `New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true`)
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"Cross-Forest", c.SendConnector("Cross-Forest").Connector.Config(), mustBuildSend(t, crossForest)},
		{"FromInternetGateway", c.ReceiveConnector(`HubA\FromInternetGateway`).Connector.Config(), mustBuildReceive(t, gateway)},
		{"To Internet", edge.SendConnector("To Internet").Connector.Config(), mustBuildSend(t, toInternet)},
	} {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.name, tt.got, tt.want)
		}
	}
}

func mustBuildSend(t *testing.T, c connector.SendConfig) connector.SendConfig {
	t.Helper()
	s, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s.Config()
}

func mustBuildReceive(t *testing.T, c connector.ReceiveConfig) connector.ReceiveConfig {
	t.Helper()
	r, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	return r.Config()
}

func TestCmdlets(t *testing.T) {
	const base = `New-SendConnector -Name Out -Usage Internet -AddressSpaces *
New-ReceiveConnector -Name In -Usage Internet -Bindings 0.0.0.0:25
New-AcceptedDomain -Name Contoso -DomainName contoso.com
`
	tests := []struct {
		name, src string
		check     func(t *testing.T, c *Config)
	}{
		{"New-SendConnector defaults", "", func(t *testing.T, c *Config) {
			s := c.SendConnector("out").Connector
			if !s.Config().DNSRoutingEnabled || s.Port() != 25 || s.MaxMessageSize() != 10<<20 || s.Config().Usage != connector.UsageInternet {
				t.Errorf("%+v", s.Config())
			}
		}},
		{"Set-SendConnector by prefix and hash", `Set-SendConnector Out -Addr @{Add="fabrikam.com;2"} -Enab:$false -MaxMessageSize 512KB`, func(t *testing.T, c *Config) {
			s := c.SendConnector("Out").Connector
			if addrspace.FormatList(s.AddressSpaces()) != `"SMTP:*;1","SMTP:fabrikam.com;2"` || s.Enabled() || s.MaxMessageSize() != 512<<10 {
				t.Errorf("%+v", s.Config())
			}
		}},
		{"Set-SendConnector rename", `Set-SendConnector Out -Name "To Internet"`, func(t *testing.T, c *Config) {
			if c.SendConnector("Out") != nil || c.SendConnector("to internet") == nil {
				t.Error("not renamed")
			}
		}},
		{"smart hosts turn DNS routing off", `Set-SendConnector Out -SmartHosts "[192.168.1.1]"`, func(t *testing.T, c *Config) {
			if s := c.SendConnector("Out").Connector; s.Config().DNSRoutingEnabled || s.SmartHosts()[0].Host != "192.168.1.1" {
				t.Errorf("%+v", s.Config())
			}
		}},
		{"Remove-SendConnector", "Remove-SendConnector Out -Confirm:$false", func(t *testing.T, c *Config) {
			if len(c.SendConnectors) != 0 {
				t.Error("not removed")
			}
		}},
		{"Get-SendConnector pipes every connector", "New-SendConnector Out2 -AddressSpaces x.com\nGet-SendConnector | Set-SendConnector -Comment piped", func(t *testing.T, c *Config) {
			for _, s := range c.SendConnectors {
				if s.Connector.Config().Comment != "piped" {
					t.Errorf("%s: %q", s.Config.Name, s.Connector.Config().Comment)
				}
			}
		}},
		{"Set-ReceiveConnector", `Set-ReceiveConnector In -Bindings 10.0.0.1:25,[::]:25 -MaxRecipientsPerMessage 5000 -ConnectionTimeout 00:20:00 -MaxProtocolErrors unlimited`, func(t *testing.T, c *Config) {
			r := c.ReceiveConnector("In").Connector
			if len(r.Bindings()) != 2 || r.MaxRecipientsPerMessage() != 5000 || r.ConnectionTimeout() != 20*time.Minute || r.MaxProtocolErrors() != 0 {
				t.Errorf("%+v", r.Config())
			}
		}},
		{"Remove-ReceiveConnector through the pipeline", "Get-ReceiveConnector In | Remove-ReceiveConnector -Confirm:$false", func(t *testing.T, c *Config) {
			if len(c.ReceiveConnectors) != 0 {
				t.Error("not removed")
			}
		}},
		{"Get-ReceiveConnector -Server", "New-ReceiveConnector -Name B -Server HubB -Usage Internet -Bindings 0.0.0.0:2525\n" +
			"Get-ReceiveConnector -Server HubB | Set-ReceiveConnector -Enabled $false", func(t *testing.T, c *Config) {
			if !c.ReceiveConnector("In").Connector.Config().Enabled || c.ReceiveConnector(`HubB\B`).Connector.Config().Enabled {
				t.Error("-Server did not select HubB's connector only")
			}
		}},
		{"Add-ADPermission -Deny and Remove-ADPermission", `Add-ADPermission In -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Accept-Any-Sender -Deny
Get-SendConnector Out | Remove-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-Send-Headers-Routing
Get-ADPermission -Identity In`, func(t *testing.T, c *Config) {
			r := c.ReceiveConnector("In").Connector
			if r.Rights(perms.Anonymous)&perms.AcceptAnySender != 0 {
				t.Error("deny not applied")
			}
			if s := c.SendConnector("Out").Connector; s.RemoteRights() != 0 {
				t.Errorf("send rights %v", s.RemoteRights())
			}
		}},
		{"Enable-CrossForestConnector -genericMTA", `.\Enable-CrossForestConnector.ps1 -Connector Out -User "ANONYMOUS LOGON" -genericMTA`, func(t *testing.T, c *Config) {
			if got := c.SendConnector("Out").Config.Permissions[0].ExtendedRights; got != connector.CrossForestRights(true) {
				t.Errorf("rights %v", got)
			}
		}},
		{"accepted domains", "New-AcceptedDomain Fab -DomainName *.Fabrikam.com -DomainType InternalRelay\nSet-AcceptedDomain contoso.com -DomainType ExternalRelay\nRemove-AcceptedDomain Fab", func(t *testing.T, c *Config) {
			want := []AcceptedDomain{{"Contoso", routing.AcceptedDomain{Domain: "contoso.com", Type: routing.ExternalRelay}}}
			if !reflect.DeepEqual(c.AcceptedDomains, want) {
				t.Errorf("%+v", c.AcceptedDomains)
			}
		}},
		{"Set-TransportServer", `Set-TransportServer HubA -TransientFailureRetryCount 3 -TransientFailureRetryInterval 00:02:00 -OutboundConnectionFailureRetryInterval 00:15:00 ` +
			`-MessageRetryInterval "00:05:00" -MessageExpirationTimeout 5.00:00:00 -DelayNotificationTimeout 08:00:00 -MaxOutboundConnections 500 ` +
			`-MaxPerDomainOutboundConnections 10 -ReceiveProtocolLogPath /var/log/r -SendProtocolLogPath /var/log/s -MessageTrackingLogSubjectLoggingEnabled $false`, func(t *testing.T, c *Config) {
			want := DefaultTransportServer(false)
			want.Identity, want.TransientFailureRetryCount, want.TransientFailureRetryInterval = "HubA", 3, 2*time.Minute
			want.OutboundConnectionFailureRetryInterval, want.MessageRetryInterval = 15*time.Minute, 5*time.Minute
			want.MessageExpirationTimeout, want.DelayNotificationTimeout = 5*24*time.Hour, 8*time.Hour
			want.MaxOutboundConnections, want.MaxPerDomainOutboundConnections = 500, 10
			want.ReceiveProtocolLogPath, want.SendProtocolLogPath = "/var/log/r", "/var/log/s"
			want.MessageTrackingLogSubjectLoggingEnabled = false
			if c.TransportServer != want {
				t.Errorf("got  %+v\nwant %+v", c.TransportServer, want)
			}
		}},
		{"Set-TransportServer of another server", "Set-TransportServer HubB -TransientFailureRetryCount 3", func(t *testing.T, c *Config) {
			if c.TransportServer != DefaultTransportServer(false) {
				t.Errorf("applied: %+v", c.TransportServer)
			}
		}},
		{"Set-TransportConfig", "Set-TransportConfig -MaxReceiveSize 25MB -MaxSendSize unlimited -MaxRecipientEnvelopeLimit 1000", func(t *testing.T, c *Config) {
			if want := (TransportConfig{25 << 20, Unlimited, 1000}); c.TransportConfig != want {
				t.Errorf("%+v", c.TransportConfig)
			}
		}},
		{"Get- cmdlets change nothing", "Get-SendConnector Out\nGet-ReceiveConnector\nGet-AcceptedDomain\nGet-TransportServer HubA\nGet-TransportConfig", func(t *testing.T, c *Config) {
			if len(c.SendConnectors) != 1 || len(c.ReceiveConnectors) != 1 {
				t.Error("changed")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustLoad(t, nil, Options{Server: "HubA"}, base+tt.src))
		})
	}
}

func TestApplyKeepsBase(t *testing.T) {
	base := mustLoad(t, nil, Options{}, "New-SendConnector -Name Out -AddressSpaces *")
	before := string(jsonOf(t, base))
	next := mustLoad(t, base, Options{}, "Set-SendConnector Out -Enabled $false\nNew-SendConnector -Name Two -AddressSpaces x.com")
	if string(jsonOf(t, base)) != before {
		t.Error("Apply changed its base")
	}
	if len(next.SendConnectors) != 2 || next.SendConnector("Out").Connector.Enabled() {
		t.Error("next is wrong")
	}
	if _, err := Load("t.ps1", []byte("Set-SendConnector Out -Enabled $false\nSet-SendConnector Nope -Enabled $false"), base, Options{}); err == nil ||
		!base.SendConnector("Out").Connector.Enabled() {
		t.Error("a failed script changed something")
	}
}

func TestForServer(t *testing.T) {
	c := mustLoad(t, nil, Options{}, `New-SendConnector -Name A -AddressSpaces * -SourceTransportServers hubA.contoso.com
New-SendConnector -Name B -AddressSpaces x.com
New-ReceiveConnector -Name A -Server HubB -Usage Internet -Bindings 0.0.0.0:25
New-ReceiveConnector -Name B -Usage Internet -Bindings 0.0.0.0:2525`)
	send, receive := c.ForServer("HubA")
	if len(send) != 2 || len(receive) != 1 || receive[0].Config.Name != "B" {
		t.Errorf("HubA: %d send, %d receive", len(send), len(receive))
	}
	send, receive = c.ForServer("hubb.contoso.com")
	if len(send) != 1 || send[0].Config.Name != "B" || len(receive) != 2 {
		t.Errorf("HubB: %d send, %d receive", len(send), len(receive))
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("fc.pw", "s3cret\n")
	abs := write("hub.pw", "other")
	creds, err := LoadCredentials(write("creds", "# comment\n\nmycred FourthCoffee@Contoso.com fc.pw\n$hubcred hub@contoso.com "+abs+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := creds.Credential("MyCred")
	if err != nil || c != (connector.Credential{UserName: "FourthCoffee@Contoso.com", Password: "s3cret"}) {
		t.Errorf("mycred: %v %v", c, err)
	}
	if c, _ := creds.Credential("hubcred"); c.Password != "other" {
		t.Errorf("hubcred: %v", c)
	}
	if _, err := creds.Credential("nope"); !errors.Is(err, ErrNoCredential) {
		t.Errorf("missing: %v", err)
	}
	cfg := mustLoad(t, nil, Options{Credentials: creds}, "$mycred = Get-Credential\n"+
		"New-SendConnector -Name X -AddressSpaces * -SmartHosts a.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred")
	if j := string(jsonOf(t, cfg)); strings.Contains(j, "s3cret") || !strings.Contains(j, `"AuthenticationCredential": "FourthCoffee@Contoso.com"`) {
		t.Errorf("JSON: %s", j)
	}
	if _, err := Load("t.ps1", []byte("$other = Get-Credential"), nil, Options{Credentials: creds}); err == nil ||
		err.Error() != "t.ps1:1:1: Get-Credential: no credential $other in the credentials" {
		t.Errorf("unknown variable: %v", err)
	}
	_, err = LoadCredentials(write("bad", "a b\nc d missing.pw\nmycred u fc.pw\nmycred u fc.pw\n"))
	want := filepath.Join(dir, "bad") + ":1:1: want three fields, name user password-file; found 2\n" +
		filepath.Join(dir, "bad") + ":2:1: credential c: open " + filepath.Join(dir, "missing.pw") + ": no such file or directory\n" +
		filepath.Join(dir, "bad") + ":4:1: credential mycred is listed twice"
	if err == nil || err.Error() != want || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// Scripts may be loaded concurrently (a reload while another is checked).
func TestLoadConcurrently(t *testing.T) {
	done := make(chan error)
	for range 4 {
		go func() {
			_, err := Load("t.ps1", []byte(everything), nil, Options{})
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
