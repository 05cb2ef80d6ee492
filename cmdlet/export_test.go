package cmdlet

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// everything uses every cmdlet that changes a configuration.
const everything = `
$cred = Get-Credential
New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative
New-AcceptedDomain Fabrikam -DomainName *.fabrikam.com -DomainType InternalRelay
Set-AcceptedDomain Fabrikam -DomainType ExternalRelay
New-ReceiveConnector -Name "From Internet" -Usage Internet -Bindings 10.1.1.1:25 -Banner "220 mail.contoso.com" ` + "`" + `
  -MaxMessageSize 20MB -MaxInboundConnection unlimited -TarpitInterval 00:00:10 -ProtocolLoggingLevel Verbose
New-ReceiveConnector "Relay" -Custom -Server HubA -Bindings 10.1.1.2:25 -RemoteIPRanges 192.168.5.0/24,10.9.0.1-10.9.0.9 -PermissionGroups AnonymousUsers
Get-ReceiveConnector HubA\Relay | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Accept-Any-Recipient
Add-ADPermission -Identity "From Internet" -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -Deny
Set-ReceiveConnector Relay -RemoteIPRanges @{Add="192.168.6.1"; Remove="10.9.0.1-10.9.0.9"} -Comment 'it''s a relay'
New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces *,"contoso.com;5" -Fqdn mail.contoso.com
New-SendConnector -Name "To Partner" -AddressSpaces fabrikam.com -SmartHosts "[192.168.1.1]",mx.fabrikam.com -SmartHostAuthMechanism BasicAuth ` + "`" + `
  -AuthenticationCredential $cred -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain fabrikam.com -Port 587 -MaxMessageSize unlimited
Set-SendConnector "To Partner" -AddressSpaces @{Add="X400:o=MySite;p=MyOrg;a=adatum;c=us;5"} -ConnectionInactivityTimeOut 1.00:00:00
Get-SendConnector "To Internet" | Remove-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-Send-Headers-Routing
Enable-CrossForestConnector -Connector "To Partner" -User "ANONYMOUS LOGON" -genericMTA
Set-TransportServer HubA -MessageExpirationTimeout 3.00:00:00 -TransientFailureRetryCount 4 -MaxOutboundConnections unlimited -MaxPerDomainOutboundConnections unlimited -SendProtocolLogPath /var/log/hubedge/send -MessageTrackingLogSubjectLoggingEnabled $false
Set-TransportConfig -MaxReceiveSize 25MB -MaxSendSize unlimited -MaxRecipientEnvelopeLimit 1000
Set-SendConnector "To Internet" -DaneEnabled $false
Set-SendConnector "To Partner" -MtaStsEnabled $true
Set-ContentFilterConfig -SCLDeleteEnabled $true -SCLDeleteThreshold 8 -SCLQuarantineEnabled $true -QuarantineMailbox spam@contoso.com ` + "`" + `
  -RejectionResponse "Go away" -BypassedRecipients postmaster@contoso.com -BypassedSenderDomains @{Add="partner.com"}
Set-SenderFilterConfig -BlockedSenders bad@spam.example -BlockedDomainsAndSubdomains *.spam.example -Action StampStatus -BlankSenderBlockingEnabled $true
Set-RecipientFilterConfig -BlockedRecipients nobody@contoso.com -BlockListEnabled $true -RecipientValidationEnabled $true
Set-SenderIdConfig -SpoofedDomainAction Reject -TempErrorAction Delete -BypassedSenderDomains fabrikam.com
Set-IPBlockListConfig -StaticEntryRejectionResponse "You are blocked" -InternalMailEnabled $true
Set-IPAllowListConfig -Enabled $false
Add-IPBlockListEntry -IPAddress 192.0.2.1 -Comment "it's a spammer"
Add-IPBlockListEntry -IPRange 198.51.100.0/24 -ExpirationTime "2027-01-31 18:00"
Add-IPAllowListEntry -IPRange 203.0.113.1-203.0.113.9
Add-IPBlockListProvider -Name Spamhaus -LookupDomain zen.spamhaus.org -AnyMatch $true -RejectionResponse "Listed by Spamhaus"
Add-IPBlockListProvider Other -LookupDomain bl.example.net -IPAddressesMatch 127.0.0.2,127.0.0.3 -Priority 1
Add-IPBlockListProvider Mask -LookupDomain mask.example.net -BitmaskMatch 127.0.0.4 -Enabled $false
Add-IPAllowListProvider -Name Good -LookupDomain wl.example.org -AnyMatch $true
`

func jsonOf(t *testing.T, c *Config) []byte {
	t.Helper()
	j, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// roundTrip checks that the exported script of c, applied to an empty
// configuration, gives the same JSON.
func roundTrip(t *testing.T, c *Config, edge bool) {
	t.Helper()
	script := c.Script()
	again, err := Load("export.ps1", script, nil, Options{Edge: edge})
	if err != nil {
		t.Fatalf("export does not load: %v\n%s", err, script)
	}
	if a, b := jsonOf(t, c), jsonOf(t, again); !bytes.Equal(a, b) {
		t.Errorf("round trip changed the JSON\nexport:\n%s\nbefore:\n%s\nafter:\n%s", script, a, b)
	}
}

func TestRoundTrip(t *testing.T) {
	c := mustLoad(t, nil, Options{}, everything)
	roundTrip(t, c, false)
	if testing.Verbose() {
		var b strings.Builder
		if err := c.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s\n%s\n%s", jsonOf(t, c), c.Script(), b.String())
	}
}

func TestRoundTripSeeds(t *testing.T) {
	forEachSeed(t, func(t *testing.T, name string, c *Config) { roundTrip(t, c, seedOptions(name).Edge) })
}
