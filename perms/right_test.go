package perms

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRight(t *testing.T) {
	tests := []struct {
		in   string
		want Right
	}{
		{"Ms-Exch-SMTP-Submit", Submit},
		{"ms-Exch-SMTP-Submit", Submit},
		{"MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT", AcceptAnyRecipient},
		{"ms-exch-smtp-accept-any-sender", AcceptAnySender},
		{"ms-Exch-SMTP-Accept-Authoritative-Domain-Sender", AcceptAuthoritativeDomainSender},
		{"ms-Exch-SMTP-Accept-Authentication-Flag", AcceptAuthenticationFlag},
		{"ms-Exch-SMTP-Accept-Exch50", AcceptExch50},
		{"ms-Exch-Accept-Exch50", AcceptExch50}, // documented alias
		{"ms-Exch-Accept-Headers-Routing", AcceptRoutingHeaders},
		{"ms-Exch-Accept-Headers-Organization", AcceptOrganizationHeaders},
		{"ms-Exch-Accept-Headers-Forest", AcceptForestHeaders},
		{"ms-Exch-Bypass-Anti-Spam", BypassAntiSpam},
		{"ms-Exch-Bypass-Message-Size-Limit", BypassMessageSizeLimit},
		{"ms-Exch-Send-Headers-Routing", SendRoutingHeaders},
		{"Ms-Exch-Send-Headers-Organization", SendOrganizationHeaders},
		{"Ms-Exch-Send-Headers-Forest", SendForestHeaders},
		{"ms-Exch-SMTP-Send-Exch50", SendExch50},
		{"ms-Exch-Send-Exch50", SendExch50}, // seeds/003 Table 3 spelling
		{"  ms-Exch-SMTP-Submit\t", Submit},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRight(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRightUnknown(t *testing.T) {
	for _, in := range []string{"", "Submit", "ms-Exch-SMTP-Submit,", "ms-Exch-SMTP-Accept-XShadow", "None"} {
		_, err := ParseRight(in)
		var ue *UnknownRightError
		require.ErrorAs(t, err, &ue, "%q", in)
		assert.Equal(t, in, ue.Name)
		assert.ErrorIs(t, err, ErrUnknownRight)
		assert.True(t, strings.HasPrefix(err.Error(), "perms: unknown right"))
		for _, name := range ue.Valid() {
			assert.Contains(t, err.Error(), name)
		}
		assert.Len(t, ue.Valid(), 15)
	}
}

func TestParseRights(t *testing.T) {
	tests := []struct {
		in      string
		want    Right
		wantErr bool
	}{
		{"", 0, false},
		{"None", 0, false},
		{"none", 0, false},
		{"ms-Exch-SMTP-Submit", Submit, false},
		{"ms-Exch-SMTP-Submit,ms-Exch-Accept-Headers-Routing", Submit | AcceptRoutingHeaders, false},
		{` "ms-Exch-SMTP-Submit" , "ms-Exch-SMTP-Accept-Any-Recipient" `, Submit | AcceptAnyRecipient, false},
		{"ms-Exch-SMTP-Submit,,ms-Exch-SMTP-Submit", Submit, false},
		{"ms-Exch-SMTP-Submit, bogus", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRights(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrUnknownRight)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRightString(t *testing.T) {
	tests := []struct {
		r    Right
		want string
	}{
		{0, "None"},
		{Submit, "Ms-Exch-SMTP-Submit"},
		{Submit | AcceptRoutingHeaders, "Ms-Exch-SMTP-Submit, Ms-Exch-Accept-Headers-Routing"},
		{SendExch50, "Ms-Exch-SMTP-Send-Exch50"},
		{1 << 20, "Right(0x100000)"},
		{Submit | 1<<31, "Ms-Exch-SMTP-Submit, Right(0x80000000)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.r.String())
	}
}

func TestRightRoundTrip(t *testing.T) {
	for r := Right(0); r <= AllRights; r += 97 { // a spread of subsets
		r := r & AllRights
		got, err := ParseRights(r.String())
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	for _, name := range ValidRightNames() {
		r, err := ParseRight(name)
		require.NoError(t, err)
		assert.Equal(t, name, r.String())
	}
}

func TestRightHas(t *testing.T) {
	r := Submit | AcceptRoutingHeaders
	assert.True(t, r.Has(Submit))
	assert.True(t, r.Has(Submit|AcceptRoutingHeaders))
	assert.False(t, r.Has(Submit|AcceptAnyRecipient))
	assert.True(t, r.Has(0))
	assert.Equal(t, AllRights, ReceiveRights|SendRights)
	assert.Zero(t, ReceiveRights&SendRights)
}

func TestRightText(t *testing.T) {
	type conf struct {
		Rights Right `json:"rights"`
	}
	b, err := json.Marshal(conf{Submit | SendForestHeaders})
	require.NoError(t, err)
	assert.JSONEq(t, `{"rights":"Ms-Exch-SMTP-Submit, Ms-Exch-Send-Headers-Forest"}`, string(b))

	var c conf
	require.NoError(t, json.Unmarshal([]byte(`{"rights":"ms-exch-smtp-submit,MS-EXCH-SEND-HEADERS-FOREST"}`), &c))
	assert.Equal(t, Submit|SendForestHeaders, c.Rights)

	err = json.Unmarshal([]byte(`{"rights":"nope"}`), &c)
	assert.True(t, errors.Is(err, ErrUnknownRight))

	_, err = Right(1 << 30).MarshalText()
	assert.ErrorIs(t, err, ErrUnknownRight)
}
