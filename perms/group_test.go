package perms

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGroupGrants has one row per grant of the reference system's table of
// the rights each receive connector permission group grants.
func TestGroupGrants(t *testing.T) {
	all := Submit | AcceptAnyRecipient | AcceptAnySender | AcceptAuthoritativeDomainSender |
		AcceptAuthenticationFlag | AcceptExch50 | AcceptRoutingHeaders |
		AcceptOrganizationHeaders | AcceptForestHeaders | BypassAntiSpam | BypassMessageSizeLimit
	secured := all &^ (AcceptOrganizationHeaders | AcceptForestHeaders)
	tests := []struct {
		group     Group
		principal Principal
		rights    Right
	}{
		{AnonymousUsers, Anonymous, Submit | AcceptAnySender | AcceptAuthoritativeDomainSender | AcceptRoutingHeaders},
		{ExchangeUsers, AuthenticatedUsers, Submit | AcceptAnyRecipient | BypassAntiSpam | AcceptRoutingHeaders},
		{ExchangeServers, ExchangeServersGroup, all},
		{ExchangeServers, EdgeTransportServers, all},
		{ExchangeServers, HubTransportServers, all},
		{ExchangeServers, ExternallySecuredServers, secured},
		{ExchangeLegacyServers, LegacyExchangeServers, secured},
		{Partners, PartnerServers, Submit | AcceptRoutingHeaders},
	}
	got := map[Group][]Grant{}
	for _, tt := range tests {
		got[tt.group] = append(got[tt.group], Grant{tt.principal, tt.rights})
	}
	for g, want := range got {
		assert.Equal(t, want, g.Grants(), "%v", g)
	}
	assert.Empty(t, Custom.Grants())
	assert.Empty(t, NoGroups.Grants())

	var everything []Grant
	for _, tt := range tests {
		everything = append(everything, Grant{tt.principal, tt.rights})
	}
	assert.Equal(t, everything, (AnonymousUsers | ExchangeUsers | ExchangeServers |
		ExchangeLegacyServers | Partners | Custom).Grants())
	for _, g := range everything {
		assert.Zero(t, g.Rights&SendRights, "groups grant receive rights only")
	}
}

func TestParseGroups(t *testing.T) {
	tests := []struct {
		in      string
		want    Group
		wantErr bool
	}{
		{"", NoGroups, false},
		{"None", NoGroups, false},
		{"AnonymousUsers", AnonymousUsers, false},
		{"anonymoususers, EXCHANGESERVERS", AnonymousUsers | ExchangeServers, false},
		{`"Partners","Custom"`, Partners | Custom, false},
		{"ExchangeUsers,ExchangeLegacyServers", ExchangeUsers | ExchangeLegacyServers, false},
		{"Anonymous", 0, true},
		{"AnonymousUsers;ExchangeUsers", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseGroups(tt.in)
			if tt.wantErr {
				var ge *UnknownGroupError
				require.ErrorAs(t, err, &ge)
				assert.ErrorIs(t, err, ErrUnknownGroup)
				assert.Contains(t, err.Error(), "ExchangeLegacyServers")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGroupString(t *testing.T) {
	assert.Equal(t, "None", NoGroups.String())
	assert.Equal(t, "AnonymousUsers, ExchangeServers", (AnonymousUsers | ExchangeServers).String())
	assert.Equal(t, "Custom, Group(0x80)", (Custom | 0x80).String())
	for g := Group(0); g < groupEnd; g++ {
		got, err := ParseGroups(g.String())
		require.NoError(t, err)
		require.Equal(t, g, got)
		b, err := g.MarshalText()
		require.NoError(t, err)
		var back Group
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, g, back)
	}
	_, err := Group(0x80).MarshalText()
	assert.ErrorIs(t, err, ErrUnknownGroup)
	assert.True(t, (AnonymousUsers | Partners).Has(Partners))
}

func TestPrincipal(t *testing.T) {
	assert.True(t, Principal(`nt authority\anonymous logon`).Equal(Anonymous))
	assert.True(t, Principal(` CONTOSO\Alice `).Equal(`contoso\alice`))
	assert.False(t, Principal(`CONTOSO\Alice`).Equal(`CONTOSO\Alic`))
	assert.True(t, Principal("ÄRGER").Equal("ärger"))
	assert.False(t, Principal("\xff").Equal("\xfe"))
	assert.Equal(t, HubTransportServers, Principal(`ms exchange\HUB TRANSPORT SERVERS`).Canonical())
	assert.Equal(t, Principal(`CONTOSO\Alice`), Principal(` CONTOSO\Alice`).Canonical())
	assert.Len(t, WellKnown(), 8)
}
