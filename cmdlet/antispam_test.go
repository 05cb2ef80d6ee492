package cmdlet

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/senderfilter"
	"github.com/hubedge/hubedge/agent/senderid"
)

func TestAntispamDefaults(t *testing.T) {
	c := NewConfig(true)
	if !reflect.DeepEqual(c.ContentFilter, DefaultContentFilterConfig()) || !c.ContentFilter.SCLRejectEnabled ||
		c.ContentFilter.SCLRejectThreshold != 7 || c.ContentFilter.SCLDeleteEnabled || c.ContentFilter.SCLQuarantineEnabled ||
		c.ContentFilter.RejectionResponse != "Message rejected due to content restrictions" {
		t.Errorf("content filter %+v", c.ContentFilter)
	}
	if c.SenderFilter.Action != "Reject" || c.SenderID.SpoofedDomainAction != "StampStatus" || c.SenderID.TempErrorAction != "StampStatus" ||
		!c.IPBlockList.Config.Enabled || c.RecipientFilter.RecipientValidationEnabled || c.RecipientFilter.BlockListEnabled {
		t.Errorf("defaults %+v %+v %+v", c.SenderFilter, c.SenderID, c.RecipientFilter)
	}
	if s := string(c.Script()); strings.Contains(s, "Filter") || strings.Contains(s, "IP") {
		t.Errorf("default settings exported:\n%s", s)
	}
}

func TestAntispamCmdlets(t *testing.T) {
	tests := []struct {
		name, src string
		check     func(t *testing.T, c *Config)
		// renumbered: a Remove- left a gap in the entry identities,
		// which the exported script does not keep.
		renumbered bool
	}{
		{"Set-ContentFilterConfig", "Set-ContentFilterConfig -SCLRejectThreshold 6 -SCLDeleteEnabled $true -BypassedSenders a@b.com,c@d.com", func(t *testing.T, c *Config) {
			cf := c.ContentFilter
			if cf.SCLRejectThreshold != 6 || !cf.SCLDeleteEnabled || !slices.Equal(cf.BypassedSenders, []string{"a@b.com", "c@d.com"}) {
				t.Errorf("%+v", cf)
			}
		}, false},
		{"Set-ContentFilterConfig hash", "Set-ContentFilterConfig -BypassedRecipients a@contoso.com,b@contoso.com\nSet-ContentFilterConfig -BypassedRecipients @{Add='c@contoso.com'; Remove='a@contoso.com'}", func(t *testing.T, c *Config) {
			if got := c.ContentFilter.BypassedRecipients; !slices.Equal(got, []string{"b@contoso.com", "c@contoso.com"}) {
				t.Errorf("%v", got)
			}
		}, false},
		{"Set-SenderFilterConfig", "Set-SenderFilterConfig -BlockedDomains spam.example -Action stampstatus -Enabled:$false", func(t *testing.T, c *Config) {
			if s := c.SenderFilter; s.Action != "StampStatus" || s.Enabled || !slices.Equal(s.BlockedDomains, []string{"spam.example"}) {
				t.Errorf("%+v", s)
			}
		}, false},
		{"Set-RecipientFilterConfig", "Set-RecipientFilterConfig -RecipientValidationEnabled $true -BlockedRecipients x@contoso.com -BlockListEnabled $true", func(t *testing.T, c *Config) {
			if r := c.RecipientFilter; !r.RecipientValidationEnabled || !r.BlockListEnabled || r.BlockedRecipients[0] != "x@contoso.com" {
				t.Errorf("%+v", r)
			}
		}, false},
		{"Set-SenderIdConfig", "Set-SenderIdConfig -SpoofedDomainAction Delete -TempErrorAction Reject -BypassedRecipients p@contoso.com", func(t *testing.T, c *Config) {
			if s := c.SenderID; s.SpoofedDomainAction != "Delete" || s.TempErrorAction != "Reject" || len(s.BypassedRecipients) != 1 {
				t.Errorf("%+v", s)
			}
		}, false},
		{"Set-IPBlockListConfig", `Set-IPBlockListConfig -MachineEntryRejectionResponse "Go away"`, func(t *testing.T, c *Config) {
			if c.IPBlockList.Config.MachineEntryRejectionResponse != "Go away" {
				t.Errorf("%+v", c.IPBlockList.Config)
			}
		}, false},
		{"IP list entries", "Add-IPBlockListEntry -IPAddress 192.0.2.1\nAdd-IPBlockListEntry -IPRange 192.0.2.16/28 -ExpirationTime '1/31/2027 6:00 PM' -Comment c\n" +
			"Add-IPBlockListEntry -IPRange 10.0.0.1-10.0.0.9\nRemove-IPBlockListEntry 1\nRemove-IPBlockListEntry 10.0.0.1-10.0.0.9\nAdd-IPAllowListEntry -IPAddress 2001:db8::1", func(t *testing.T, c *Config) {
			es := c.IPBlockList.Entries
			if len(es) != 1 || es[0].Identity != 2 || es[0].IPRange.String() != "192.0.2.16/28" || es[0].Comment != "c" ||
				!es[0].ExpirationTime.Equal(time.Date(2027, 1, 31, 18, 0, 0, 0, time.UTC)) {
				t.Errorf("%+v", es)
			}
			if a := c.IPAllowList.Entries; len(a) != 1 || !a[0].IPRange.Contains(netip.MustParseAddr("2001:db8::1")) {
				t.Errorf("%+v", a)
			}
		}, true},
		{"providers by priority", "Add-IPBlockListProvider A -LookupDomain a.example -AnyMatch $true\nAdd-IPBlockListProvider B -LookupDomain b.example -AnyMatch $true -Priority 1\n" +
			"Add-IPBlockListProvider C -LookupDomain c.example -BitmaskMatch 127.0.0.4\nSet-IPBlockListProvider C -Priority 1 -Enabled $false\nRemove-IPBlockListProvider B\nGet-IPBlockListProvider A", func(t *testing.T, c *Config) {
			ps := c.IPBlockList.Providers
			if len(ps) != 2 || ps[0].Name != "C" || ps[0].Priority != 1 || ps[0].Enabled || ps[1].Name != "A" || ps[1].Priority != 2 ||
				ps[0].BitmaskMatch != netip.MustParseAddr("127.0.0.4") {
				t.Errorf("%+v", ps)
			}
		}, false},
		{"Set-IPBlockListProvider rename and match", "Add-IPBlockListProvider A -LookupDomain a.example -AnyMatch $true\nSet-IPBlockListProvider A -Name Z -AnyMatch $false -IPAddressesMatch @{Add='127.0.0.2'}", func(t *testing.T, c *Config) {
			p := c.IPBlockList.Providers[0]
			if p.Name != "Z" || p.AnyMatch || len(p.IPAddressesMatch) != 1 {
				t.Errorf("%+v", p)
			}
		}, false},
		{"allow list provider", "Add-IPAllowListProvider -Name W -LookupDomain wl.example -AnyMatch $true\nSet-IPAllowListConfig -Enabled $false", func(t *testing.T, c *Config) {
			if len(c.IPAllowList.Providers) != 1 || c.IPAllowList.Config.Enabled || len(c.IPBlockList.Providers) != 0 {
				t.Errorf("%+v", c.IPAllowList)
			}
		}, false},
		{"Get- cmdlets", "Get-ContentFilterConfig\nGet-SenderFilterConfig\nGet-RecipientFilterConfig\nGet-SenderIdConfig\nGet-IPBlockListConfig\nGet-IPBlockListEntry\nGet-IPAllowListProvider", func(t *testing.T, c *Config) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := NewConfig(true)
			c := mustLoad(t, base, Options{Edge: true}, tt.src)
			tt.check(t, c)
			checkAgentsAccept(t, c)
			if !reflect.DeepEqual(base, NewConfig(true)) {
				t.Error("Apply changed its base configuration")
			}
			if !tt.renumbered {
				roundTrip(t, c, true)
			}
		})
	}
}

func TestAntispamErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"threshold out of range", "Set-ContentFilterConfig -SCLRejectThreshold 10",
			"t.ps1:1:45: Set-ContentFilterConfig: -SCLRejectThreshold 10 is out of range (0 to 9)"},
		{"quarantine without a mailbox", "Set-ContentFilterConfig -SCLQuarantineEnabled $true",
			"t.ps1:1:25: Set-ContentFilterConfig: -SCLQuarantineEnabled needs a -QuarantineMailbox"},
		{"long rejection response", "Set-ContentFilterConfig -RejectionResponse " + strings.Repeat("x", 241),
			"t.ps1:1:44: Set-ContentFilterConfig: -RejectionResponse: bad value"},
		{"bad sender", "Set-SenderFilterConfig -BlockedSenders spam.example",
			`t.ps1:1:40: Set-SenderFilterConfig: -BlockedSenders: bad value "spam.example": want an address`},
		{"bad domain", "Set-SenderFilterConfig -BlockedDomains a@b.com",
			`t.ps1:1:40: Set-SenderFilterConfig: -BlockedDomains: bad value "a@b.com": want a domain`},
		{"bad action", "Set-SenderFilterConfig -Action Delete",
			`t.ps1:1:32: Set-SenderFilterConfig: -Action: bad value "Delete": want Reject, StampStatus`},
		{"bad Sender ID action", "Set-SenderIdConfig -TempErrorAction Quarantine",
			`t.ps1:1:37: Set-SenderIdConfig: -TempErrorAction: bad value "Quarantine": want StampStatus, Reject, Delete`},
		{"bad IP range", "Add-IPBlockListEntry -IPRange 10.0.0.9-10.0.0.1",
			`t.ps1:1:31: Add-IPBlockListEntry: -IPRange: bad value "10.0.0.9-10.0.0.1"`},
		{"range given as an address", "Add-IPBlockListEntry -IPAddress 10.0.0.0/8",
			`t.ps1:1:33: Add-IPBlockListEntry: -IPAddress: bad value "10.0.0.0/8": want one IP address`},
		{"address and range", "Add-IPBlockListEntry -IPAddress 10.0.0.1 -IPRange 10.0.0.0/8",
			"t.ps1:1:42: Add-IPBlockListEntry: -IPAddress and -IPRange exclude each other"},
		{"no address", "Add-IPAllowListEntry -Comment x",
			"t.ps1:1:1: Add-IPAllowListEntry: missing required parameter -IPAddress or -IPRange"},
		{"bad expiration", "Add-IPBlockListEntry -IPAddress 10.0.0.1 -ExpirationTime tomorrow",
			`t.ps1:1:58: Add-IPBlockListEntry: -ExpirationTime: bad value "tomorrow"`},
		{"duplicate entry", "Add-IPBlockListEntry -IPAddress 10.0.0.1\nAdd-IPBlockListEntry -IPRange 10.0.0.1",
			"t.ps1:2:1: Add-IPBlockListEntry: the list already has an entry for 10.0.0.1"},
		{"unknown entry", "Remove-IPBlockListEntry 3",
			`t.ps1:1:25: Remove-IPBlockListEntry: no entry "3": give its Identity number or its IPRange`},
		{"provider without a domain", "Add-IPBlockListProvider -Name A",
			"t.ps1:1:1: Add-IPBlockListProvider: missing required parameter -LookupDomain"},
		{"duplicate provider", "Add-IPBlockListProvider A -LookupDomain a.example -AnyMatch $true\nAdd-IPBlockListProvider a -LookupDomain b.example -AnyMatch $true",
			`t.ps1:2:25: Add-IPBlockListProvider: a provider named "a" already exists`},
		{"unknown provider on Remove-", "Remove-IPBlockListProvider Nope",
			`t.ps1:1:28: Remove-IPBlockListProvider: no provider "Nope"`},
		{"unknown provider on Set-", "Set-IPAllowListProvider -Identity Nope -Enabled $false",
			`t.ps1:1:25: Set-IPAllowListProvider: no provider "Nope"`},
		{"unknown provider on Get-", "Get-IPBlockListProvider Nope",
			`t.ps1:1:25: Get-IPBlockListProvider: no provider "Nope"`},
		{"priority out of range", "Add-IPBlockListProvider A -LookupDomain a.example -Priority 3",
			"t.ps1:1:61: Add-IPBlockListProvider: -Priority 3 is out of range (1 to 1)"},
		{"two ways to match", "Add-IPBlockListProvider A -LookupDomain a.example -AnyMatch $true -BitmaskMatch 127.0.0.2",
			"t.ps1:1:1: Add-IPBlockListProvider: a provider matches by one of -AnyMatch $true, -BitmaskMatch and -IPAddressesMatch, not 2"},
		{"no way to match", "Add-IPBlockListProvider A -LookupDomain a.example",
			"t.ps1:1:1: Add-IPBlockListProvider: a provider matches by one of -AnyMatch $true, -BitmaskMatch and -IPAddressesMatch, not 0"},
		{"bad bitmask", "Add-IPBlockListProvider A -LookupDomain a.example -BitmaskMatch ::1",
			`t.ps1:1:65: Add-IPBlockListProvider: -BitmaskMatch: bad value "::1": want an IPv4 address`},
		{"allow list has no rejection text", "Add-IPAllowListProvider A -LookupDomain a.example -RejectionResponse x",
			"t.ps1:1:51: Add-IPAllowListProvider: unknown parameter -RejectionResponse"},
		{"allow list config has no rejection text", "Set-IPAllowListConfig -StaticEntryRejectionResponse x",
			"t.ps1:1:23: Set-IPAllowListConfig: unknown parameter -StaticEntryRejectionResponse"},
		{"DaneEnabled takes a boolean", "New-SendConnector -Name X -AddressSpaces * -DaneEnabled maybe",
			`t.ps1:1:57: New-SendConnector: -DaneEnabled takes $true or $false, not "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("t.ps1", []byte(tt.src), nil, Options{Edge: true})
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("want one error, got %v", err)
			}
			if !strings.HasPrefix(list[0].Error(), tt.want) {
				t.Errorf("got  %s\nwant %s...", list[0], tt.want)
			}
		})
	}
}

func TestSendConnectorDANEAndMTASTS(t *testing.T) {
	c := mustLoad(t, nil, Options{}, "New-SendConnector Out -Usage Internet -AddressSpaces *\nNew-SendConnector P -AddressSpaces x.com -MtaStsEnabled $true\nSet-SendConnector Out -DaneEnabled $false")
	out, p := c.SendConnector("Out").Connector, c.SendConnector("P").Connector
	if out.DaneEnabled() || !out.MtaStsEnabled() || p.DaneEnabled() || !p.MtaStsEnabled() {
		t.Errorf("Out %v %v, P %v %v", out.DaneEnabled(), out.MtaStsEnabled(), p.DaneEnabled(), p.MtaStsEnabled())
	}
	if j := string(jsonOf(t, c)); !strings.Contains(j, `"DaneEnabled": false`) || !strings.Contains(j, `"MtaStsEnabled": true`) {
		t.Errorf("JSON lacks them:\n%s", j)
	}
}

// The agents accept what the cmdlets produce, and get what they said.
func TestAgentConfigs(t *testing.T) {
	c := mustLoad(t, nil, Options{Edge: true}, `Set-ContentFilterConfig -SCLDeleteEnabled $true -SCLDeleteThreshold 8 -BypassedRecipients p@contoso.com
Set-SenderFilterConfig -BlockedDomainsAndSubdomains *.spam.example -Action StampStatus
Set-RecipientFilterConfig -BlockedRecipients x@contoso.com
Set-SenderIdConfig -SpoofedDomainAction Reject -TempErrorAction Delete
Add-IPBlockListEntry -IPRange 192.0.2.10-192.0.2.20 -ExpirationTime 2027-01-31
Add-IPBlockListProvider A -LookupDomain a.example -AnyMatch $true -Enabled $false
Add-IPBlockListProvider B -LookupDomain b.example -BitmaskMatch 127.0.0.4
Add-IPAllowListEntry -IPAddress 203.0.113.5
Set-IPAllowListConfig -Enabled $false`)
	content := c.ContentFilter.Agent()
	if _, err := contentfilter.New(content); err != nil || !content.SCLDeleteEnabled || content.SCLDeleteThreshold != 8 {
		t.Errorf("content filter %+v: %v", content, err)
	}
	if s := c.SenderFilter.Agent(); s.Action != senderfilter.StampStatus || s.BlockedDomainsAndSubdomains[0] != "*.spam.example" {
		t.Errorf("sender filter %+v", s)
	}
	if r := c.RecipientFilter.Agent(); r.BlockedRecipients != nil {
		t.Errorf("blocked recipients without BlockListEnabled: %+v", r)
	}
	if s := c.SenderID.Agent("edge.contoso.com"); s.SpoofedDomainAction != senderid.Reject || s.TempErrorAction != senderid.Delete || s.Hostname != "edge.contoso.com" {
		t.Errorf("sender id %+v", s)
	}
	checkAgentsAccept(t, c)
	cf := c.ConnectionFilter()
	want := connectionfilter.Entry{First: netip.MustParseAddr("192.0.2.10"), Last: netip.MustParseAddr("192.0.2.20"),
		Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}
	if len(cf.BlockList) != 1 || cf.BlockList[0] != want || len(cf.BlockListProviders) != 1 || cf.BlockListProviders[0].Name != "B" ||
		cf.AllowList != nil {
		t.Errorf("connection filter %+v", cf)
	}
}

// $null empties a multi-valued property, as in the reference shell.
func TestNullClearsList(t *testing.T) {
	c := mustLoad(t, nil, Options{}, "Set-SenderFilterConfig -BlockedSenders a@spam.example\nSet-SenderFilterConfig -BlockedSenders $null")
	if got := c.SenderFilter.BlockedSenders; len(got) != 0 {
		t.Errorf("BlockedSenders %v", got)
	}
}

// checkAgentsAccept fails t if an agent refuses what a script that loaded
// configures: the script's check must not pass a server that cannot start.
func checkAgentsAccept(t *testing.T, c *Config) {
	t.Helper()
	if _, err := contentfilter.New(c.ContentFilter.Agent()); err != nil {
		t.Errorf("content filter: %v", err)
	}
	cf := c.ConnectionFilter()
	cf.DNSServers = []string{"127.0.0.1:53"} // no resolv.conf needed; nothing is queried
	if _, err := connectionfilter.New(cf); err != nil {
		t.Errorf("connection filter: %v", err)
	}
}
