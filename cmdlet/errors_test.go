package cmdlet

import (
	"errors"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	const internet = `New-SendConnector -Name Out -Usage Internet -AddressSpaces *` + "\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown cmdlet", "New-SendConector -Name X", []string{
			"t.ps1:1:1: New-SendConector: unknown cmdlet (closest: New-SendConnector)"}},
		{"unknown parameter", "New-SendConnector -Name X -AddressSpace * -Coment red", []string{
			"t.ps1:1:43: New-SendConnector: unknown parameter -Coment (closest: -Comment)"}},
		{"ambiguous parameter", "New-SendConnector -Name X -Smart a", []string{
			"t.ps1:1:27: New-SendConnector: ambiguous parameter -Smart: it could be -SmartHosts, -SmartHostAuthMechanism"}},
		{"unsupported parameter", "New-SendConnector -Name X -AddressSpaces * -ForceHELO $true", []string{
			"t.ps1:1:44: New-SendConnector: parameter -ForceHELO is not supported by hubedge"}},
		{"parameter twice", "New-SendConnector -Name X -Name Y", []string{
			"t.ps1:1:27: New-SendConnector: parameter -Name is given twice"}},
		{"missing value", "New-SendConnector -Name X -AddressSpaces", []string{
			"t.ps1:1:27: New-SendConnector: parameter -AddressSpaces needs a value"}},
		{"bad address space", "New-SendConnector -Name X -AddressSpaces contoso.com,*contoso.com", []string{
			`t.ps1:1:54: New-SendConnector: -AddressSpaces: bad value "*contoso.com": `}},
		{"bad IP range", "New-ReceiveConnector -Name X -Usage Internal -RemoteIPRanges 10.0.0.300", []string{
			`t.ps1:1:62: New-ReceiveConnector: -RemoteIPRanges: bad value "10.0.0.300": `}},
		{"bad binding", "New-ReceiveConnector -Name X -Usage Internet -Bindings 10.0.0.1", []string{
			`t.ps1:1:56: New-ReceiveConnector: -Bindings: bad value "10.0.0.1": `}},
		{"bad size", internet + "Set-SendConnector Out -MaxMessageSize 10XB", []string{
			`t.ps1:2:39: Set-SendConnector: -MaxMessageSize: bad size "10XB": want bytes or a number with KB, MB, GB or TB, or unlimited`}},
		{"size out of range", "New-ReceiveConnector -Name X -Usage Internet -Bindings 0.0.0.0:25 -MaxMessageSize 1KB", []string{
			"t.ps1:1:83: New-ReceiveConnector: -MaxMessageSize 1KB is out of range (65536 to 2147483647)"}},
		{"bad time span", internet + `Set-SendConnector Out -ConnectionInactivityTimeOut "10 minutes"`, []string{
			`t.ps1:2:52: Set-SendConnector: -ConnectionInactivityTimeOut: bad time span "10 minutes": want hh:mm:ss or d.hh:mm:ss`}},
		{"time span out of range", internet + `Set-SendConnector Out -ConnectionInactivityTimeOut 2.00:00:00`, []string{
			`t.ps1:2:52: Set-SendConnector: -ConnectionInactivityTimeOut 2.00:00:00 is out of range (00:00:01 to 1.00:00:00)`}},
		{"bad enum", "New-SendConnector -Name X -Usage Intranet -AddressSpaces *", []string{
			`t.ps1:1:34: New-SendConnector: -Usage: bad value "Intranet": `}},
		{"bad flag set", "New-ReceiveConnector -Name X -Usage Internet -Bindings 0.0.0.0:25 -AuthMechanism Tls,Kerberos", []string{
			`t.ps1:1:82: New-ReceiveConnector: -AuthMechanism: bad value "Tls,Kerberos": `}},
		{"bad boolean", "New-SendConnector -Name X -AddressSpaces * -Enabled yes", []string{
			`t.ps1:1:53: New-SendConnector: -Enabled takes $true or $false, not "yes"`}},
		{"DNS routing with smart hosts", "New-SendConnector -Name X -AddressSpaces * -SmartHosts a.contoso.com -DNSRoutingEnabled $true", []string{
			"t.ps1:1:70: New-SendConnector: -DNSRoutingEnabled: DNS routing and smart hosts are exclusive"}},
		{"BasicAuth without a credential", "New-SendConnector -Name X -AddressSpaces * -SmartHosts a.contoso.com -SmartHostAuthMechanism BasicAuth", []string{
			"t.ps1:1:1: New-SendConnector: -AuthenticationCredential: BasicAuth needs a user name and password"}},
		{"usage twice", "New-SendConnector -Name X -Usage Internet -Internal -AddressSpaces *", []string{
			"t.ps1:1:43: New-SendConnector: -Internal and -Usage exclude each other"}},
		{"missing required parameter", "New-SendConnector -AddressSpaces *", []string{
			"t.ps1:1:1: New-SendConnector: missing required parameter -Name"}},
		{"missing -ExtendedRights", internet + `Add-ADPermission Out -User "NT AUTHORITY\ANONYMOUS LOGON"`, []string{
			"t.ps1:2:1: Add-ADPermission: missing required parameter -ExtendedRights"}},
		{"duplicate name", internet + internet, []string{
			`t.ps1:2:25: New-SendConnector: a send connector named "Out" already exists`}},
		{"Set- of a missing identity", "Set-SendConnector Nope -Enabled $false", []string{
			`t.ps1:1:1: Set-SendConnector: no send connector "Nope"`}},
		{"Remove- of a missing identity", "Remove-ReceiveConnector Nope -Confirm:$false", []string{
			`t.ps1:1:1: Remove-ReceiveConnector: no receive connector "Nope"`}},
		{"unassigned variable", "New-SendConnector -Name X -AddressSpaces * -SmartHosts a.b -SmartHostAuthMechanism BasicAuth -AuthenticationCredential $cred", []string{
			"t.ps1:1:120: New-SendConnector: variable $cred is not assigned; write $cred = Get-Credential before this line"}},
		{"variable used as a name", "$c = Get-Credential\nNew-SendConnector -Name $c", []string{
			"t.ps1:2:25: New-SendConnector: $c holds a credential; -Name cannot take it"}},
		{"placeholder", "New-ReceiveConnector -Name X -Usage Internal -RemoteIPRanges <IP address of the hub>", []string{
			"t.ps1:1:62: New-ReceiveConnector: placeholder <IP address of the hub> must be replaced by a value"}},
		{"placeholder in a quoted identity", `Set-ReceiveConnector "Default <ServerName>" -Enabled $false`, []string{
			`t.ps1:1:22: Set-ReceiveConnector: placeholder <ServerName> must be replaced by a value`}},
		{"only Get-Credential assigns", "$x = Get-SendConnector", []string{
			"t.ps1:1:1: only Get-Credential can be assigned to a variable ($x)"}},
		{"pipeline from a non-Get", internet + `New-SendConnector -Name Y -AddressSpaces * | Set-SendConnector -Enabled $false`, []string{
			"t.ps1:2:1: New-SendConnector: New-SendConnector produces nothing to pipe; a pipeline starts with Get-SendConnector, Get-ReceiveConnector or Get-AcceptedDomain"}},
		{"pipeline of the wrong kind", internet + `Get-SendConnector Out | Set-ReceiveConnector -Enabled $false`, []string{
			`t.ps1:2:25: Set-ReceiveConnector: Set-ReceiveConnector takes a receive connector, not the send connector "Out" from the pipeline`}},
		{"hash on a single value", internet + `Set-SendConnector Out -Fqdn @{Add="a"}`, []string{
			"t.ps1:2:29: Set-SendConnector: -Fqdn takes a single value, not @{...}"}},
		{"hash removes a missing item", internet + `Set-SendConnector Out -AddressSpaces @{Remove="fabrikam.com"}`, []string{
			"t.ps1:2:47: Set-SendConnector: -AddressSpaces: cannot remove fabrikam.com, it is not in the list"}},
		{"usage on Set-", internet + `Set-SendConnector Out -Usage Internal`, []string{
			"t.ps1:2:23: Set-SendConnector: -Usage is chosen when the connector is created and cannot be changed"}},
		{"$true as text", "New-SendConnector -Name $true", []string{
			"t.ps1:1:25: New-SendConnector: -Name takes a value, not $true"}},
		{"ambiguous ADPermission identity", internet + "New-ReceiveConnector -Name Out -Usage Internet -Bindings 0.0.0.0:25\n" +
			`Add-ADPermission Out -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-Send-Headers-Forest`, []string{
			`t.ps1:3:18: Add-ADPermission: "Out" is both a send and a receive connector; pipe it: Get-SendConnector "Out" | Add-ADPermission ...`}},
		{"duplicate binding", "New-ReceiveConnector -Name A -Usage Internet -Bindings 0.0.0.0:25\nNew-ReceiveConnector -Name B -Usage Internet -Bindings 0.0.0.0:25", []string{
			`t.ps1:2:46: New-ReceiveConnector: -Bindings: binding 0.0.0.0:25 with remote range 0.0.0.0-255.255.255.255 is already used by connector "A"`}},
		{"duplicate binding and remote range", "New-ReceiveConnector -Name A -Usage Custom -Bindings 127.0.0.1:2540 -RemoteIPRanges 10.0.0.1\n" +
			"New-ReceiveConnector -Name B -Usage Custom -Bindings 127.0.0.1:2540 -RemoteIPRanges 10.0.0.1", []string{
			`t.ps1:2:69: New-ReceiveConnector: -RemoteIPRanges: binding 127.0.0.1:2540 with remote range 10.0.0.1 is already used by connector "A"`}},
		{"duplicate binding blamed on a line without either", "New-ReceiveConnector -Name A -Usage Internet -Bindings 0.0.0.0:25\n" +
			"New-ReceiveConnector -Name B -Usage Internet -Bindings 0.0.0.0:25\nSet-ReceiveConnector B -MaxMessageSize 20MB", []string{
			`t.ps1:3:1: Set-ReceiveConnector: binding 0.0.0.0:25 with remote range 0.0.0.0-255.255.255.255 is already used by connector "A"`}},
		{"right of the other side", internet + `Add-ADPermission Out -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Submit`, []string{
			"t.ps1:2:1: Add-ADPermission: -Permissions: Ms-Exch-SMTP-Submit cannot be granted on this kind of connector"}},
		{"identity and pipeline", internet + `Get-SendConnector | Set-SendConnector -Enabled $false -Identity Out`, []string{
			"t.ps1:2:55: Set-SendConnector: -Identity cannot be given when the send connector comes from the pipeline"}},
		{"syntax errors and later errors in one pass", "New-SendConnector -Name 'X\nSet-SendConnector Y", []string{
			"t.ps1:1:25: string is not closed"}},
		{"every error of a script", "Get-Foo\nNew-SendConnector -Name A -Bogus 1\nSet-SendConnector Nope -Enabled $false", []string{
			"t.ps1:1:1: Get-Foo: unknown cmdlet",
			"t.ps1:2:27: New-SendConnector: unknown parameter -Bogus (closest: -Port)",
			`t.ps1:3:1: Set-SendConnector: no send connector "Nope"`}},
		{"a failed New- is reported once", "New-SendConnector -Name A -AddressSpaces *contoso.com\nSet-SendConnector A -Enabled $false", []string{
			`t.ps1:1:42: New-SendConnector: -AddressSpaces: bad value "*contoso.com": `}},
		{"an unbound New- is reported once", "New-SendConnector -Name A -Bogus 1\nSet-SendConnector A -Enabled $false", []string{
			"t.ps1:1:27: New-SendConnector: unknown parameter -Bogus (closest: -Port)"}},
		{"placeholders do not stop the check", "New-SendConnector -Name <Name> -AddressSpaces <a>,b\nSet-SendConnector Nope -Enabled $false", []string{
			"t.ps1:1:25: New-SendConnector: placeholder <Name> must be replaced by a value",
			"t.ps1:1:47: New-SendConnector: placeholder <a> must be replaced by a value",
			`t.ps1:2:1: Set-SendConnector: no send connector "Nope"`}},
		{"unexpected argument", internet + "Set-SendConnector Out Extra", []string{
			`t.ps1:2:23: Set-SendConnector: unexpected argument "Extra"`}},
		{"bad character", "New-SendConnector -Name (X)", []string{
			`t.ps1:1:25: New-SendConnector: unexpected bad token "("`}},
		{"NUL in a quoted name", "New-SendConnector -Name \"C\x00\" -AddressSpaces *", []string{
			`t.ps1:1:25: New-SendConnector: -Name "C\x00" holds the control character U+0000; a name cannot contain control characters`}},
		{"backtick-0 in a name", "New-SendConnector -Name \"C`0\" -AddressSpaces *", []string{
			`t.ps1:1:25: New-SendConnector: -Name "C\x00" holds the control character U+0000`}},
		{"DEL in a bare name", "New-AcceptedDomain -Name C\x7f -DomainName c.com", []string{
			`t.ps1:1:26: New-AcceptedDomain: -Name "C\x7f" holds the control character U+007F`}},
		{"C1 control in a positional name", "New-ReceiveConnector 'R\u0085' -Usage Internet -Bindings 0.0.0.0:25", []string{
			`t.ps1:1:22: New-ReceiveConnector: -Name "R\u0085" holds the control character U+0085`}},
		{"tab in a rename", internet + "Set-SendConnector Out -Name \"O`tut\"", []string{
			`t.ps1:2:29: Set-SendConnector: -Name "O\tut" holds the control character U+0009`}},
		{"control character in an identity", "Remove-SendConnector -Identity \"Out`a\" -Confirm:$false", []string{
			`t.ps1:1:32: Remove-SendConnector: -Identity "Out\a" holds the control character U+0007`}},
		{"control character in a provider name", "Add-IPBlockListProvider \"P\x1b\" -LookupDomain a.example -IPAddressesMatch 127.0.0.2", []string{
			`t.ps1:1:25: Add-IPBlockListProvider: -Name "P\x1b" holds the control character U+001B`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("t.ps1", []byte(tt.src), nil, Options{})
			if err == nil {
				t.Fatalf("no error; config %v", c)
			}
			if c != nil {
				t.Error("a script with errors returned a configuration")
			}
			var list ErrorList
			if !errors.As(err, &list) || !errors.Is(err, ErrScript) {
				t.Fatalf("error %T is not an ErrorList of script errors", err)
			}
			if len(list) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tt.want), err)
			}
			for i, e := range list {
				if !strings.HasPrefix(e.Error(), tt.want[i]) {
					t.Errorf("error %d:\ngot  %s\nwant %s...", i, e, tt.want[i])
				}
			}
		})
	}
}
