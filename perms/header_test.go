package perms

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassOf(t *testing.T) {
	tests := []struct {
		key  string
		want Class
		ok   bool
	}{
		{"Received", Routing, true},
		{"received", Routing, true},
		{"RECEIVED ", Routing, true},
		{"Resent-Date", Routing, true},
		{"resent-message-id", Routing, true},
		{"Resent-Bcc", Routing, true},
		{"Resent-", Routing, true},
		{"Received-SPF", 0, false},
		{"X-Received", 0, false},
		{"Resent", 0, false},
		{"X-MS-Exchange-Organization-SCL", Organization, true},
		{"x-ms-exchange-organization-authas", Organization, true},
		{"X-Ms-Exchange-Organization-", Organization, true},
		{"X-MS-Exchange-Organization", 0, false},
		{"X-MS-Exchange-Forest-RulesExecuted", Forest, true},
		{"X-MS-EXCHANGE-FOREST-x", Forest, true},
		{"X-MS-Exchange-Transport-CrossTenantHeadersStamped", 0, false},
		{"X-MS-Has-Attach", 0, false},
		{"Subject", 0, false},
		{"", 0, false},
		{"X-M\u017f-Exchange-Organization-SCL", 0, false}, // long s is not "s"
		{"\u212aeceived", 0, false},
	}
	for _, tt := range tests {
		got, ok := ClassOf(tt.key)
		assert.Equal(t, tt.ok, ok, tt.key)
		assert.Equal(t, tt.want, got, tt.key)
	}
}

func TestFirewallPrefixes(t *testing.T) {
	f := Firewall{OrganizationPrefix: "X-Org-", ForestPrefix: "X-Org-Forest-"}
	for key, want := range map[string]Class{
		"X-Org-SCL":                      Organization,
		"x-org-forest-a":                 Forest, // the longer prefix decides
		"X-MS-Exchange-Organization-SCL": 0,
		"Received":                       Routing,
	} {
		got, _ := f.ClassOf(key)
		assert.Equal(t, want, got, key)
	}
	g := Firewall{OrganizationPrefix: "X-A-B-", ForestPrefix: "X-A-"}
	c, _ := g.ClassOf("X-A-B-c")
	assert.Equal(t, Organization, c)
	c, _ = g.ClassOf("X-A-c")
	assert.Equal(t, Forest, c)
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		d    Direction
		r    Right
		want Class
	}{
		{Receive, 0, 0},
		{Receive, AcceptRoutingHeaders, Routing},
		{Receive, ReceiveRights, AllClasses},
		{Receive, SendRights, 0},
		{Send, SendRoutingHeaders | SendForestHeaders, Routing | Forest},
		{Send, SendOrganizationHeaders, Organization},
		{Send, ReceiveRights, 0},
		{Direction(9), AllRights, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Allowed(tt.d, tt.r), "%v %v", tt.d, tt.r)
	}
	assert.Equal(t, AcceptRoutingHeaders|AcceptForestHeaders, (Routing | Forest).Right(Receive))
	assert.Equal(t, SendOrganizationHeaders, Organization.Right(Send))
	assert.Equal(t, "Routing|Forest", (Routing | Forest).String())
	assert.Equal(t, "None", Class(0).String())
	assert.Equal(t, "Send", Send.String())
}

const sampleHeader = "Received: from mx.example.net (mx.example.net [192.0.2.1])\r\n" +
	"\tby hub.contoso.com with ESMTPS; Mon, 1 Jan 2024 10:00:00 +0000\r\n" +
	"Received : from client ([198.51.100.7]) by mx.example.net; Mon, 1 Jan 2024 09:59:59 +0000\r\n" +
	"X-MS-Exchange-Organization-SCL: -1\r\n" +
	"From: Alice <alice@example.net>\r\n" +
	"x-ms-exchange-organization-AuthAs:\r\n Internal\r\n" +
	"Resent-From: bob@example.net\r\n" +
	"X-MS-Exchange-Forest-RulesExecuted: hub\r\n" +
	"Subject:   odd   spacing  \r\n" +
	"X-MS-Exchange-Organization-SCL: 9\r\n" +
	"To: carol@contoso.com\r\n" +
	"\r\n"

// keepLines returns sampleHeader without the fields whose first line
// starts with one of the given prefixes (continuations go with them).
func keepLines(drop ...string) string {
	var out strings.Builder
	skipping := false
	for _, line := range strings.SplitAfter(sampleHeader, "\r\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !skipping {
				out.WriteString(line)
			}
			continue
		}
		skipping = false
		for _, p := range drop {
			if strings.HasPrefix(strings.ToLower(line), strings.ToLower(p)) {
				skipping = true
			}
		}
		if !skipping {
			out.WriteString(line)
		}
	}
	return out.String()
}

func TestFilterHeader(t *testing.T) {
	rcv1 := Removed{Routing, "Received", "from mx.example.net (mx.example.net [192.0.2.1]) by hub.contoso.com with ESMTPS; Mon, 1 Jan 2024 10:00:00 +0000"}
	rcv2 := Removed{Routing, "Received", "from client ([198.51.100.7]) by mx.example.net; Mon, 1 Jan 2024 09:59:59 +0000"}
	resent := Removed{Routing, "Resent-From", "bob@example.net"}
	scl1 := Removed{Organization, "X-Ms-Exchange-Organization-Scl", "-1"}
	authAs := Removed{Organization, "X-Ms-Exchange-Organization-Authas", "Internal"}
	scl2 := Removed{Organization, "X-Ms-Exchange-Organization-Scl", "9"}
	forest := Removed{Forest, "X-Ms-Exchange-Forest-Rulesexecuted", "hub"}
	tests := []struct {
		name    string
		dir     Direction
		rights  Right
		want    string
		removed []Removed
	}{
		{"receive all rights", Receive, ReceiveRights, sampleHeader, nil},
		{"receive anonymous", Receive, AnonymousUsers.Grants()[0].Rights,
			keepLines("X-MS-Exchange-"), []Removed{scl1, authAs, forest, scl2}},
		{"receive nothing", Receive, Submit,
			keepLines("X-MS-Exchange-", "Received", "Resent-"),
			[]Removed{rcv1, rcv2, scl1, authAs, resent, forest, scl2}},
		{"receive forest only", Receive, AcceptForestHeaders,
			keepLines("X-MS-Exchange-Organization-", "Received", "Resent-"),
			[]Removed{rcv1, rcv2, scl1, authAs, resent, scl2}},
		{"send rights ignored on receive", Receive, SendRights,
			keepLines("X-MS-Exchange-", "Received", "Resent-"),
			[]Removed{rcv1, rcv2, scl1, authAs, resent, forest, scl2}},
		{"send internet", Send, SendRoutingHeaders,
			keepLines("X-MS-Exchange-"), []Removed{scl1, authAs, forest, scl2}},
		{"send internal", Send, SendRights, sampleHeader, nil},
		{"send custom", Send, 0,
			keepLines("X-MS-Exchange-", "Received", "Resent-"),
			[]Removed{rcv1, rcv2, scl1, authAs, resent, forest, scl2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			got, err := Filter(&out, strings.NewReader(sampleHeader), tt.dir, tt.rights)
			require.NoError(t, err)
			assert.Equal(t, tt.removed, got)
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestFilterHeaderEdgeCases(t *testing.T) {
	var out strings.Builder
	got, err := Filter(&out, strings.NewReader("\r\n"), Receive, 0)
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Equal(t, "\r\n", out.String())

	// Field names match in any case, and with white space before the colon.
	out.Reset()
	got, err = Filter(&out, strings.NewReader("Subject: hi\r\nx-ms-exchange-organization-scl: 5\r\nRECEIVED\t: by x\r\n\r\n"), Receive, 0)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, Organization, got[0].Class)
	assert.Equal(t, Routing, got[1].Class)
	assert.Equal(t, "Subject: hi\r\n\r\n", out.String())
}

func TestRemovedKeys(t *testing.T) {
	for _, tc := range []struct {
		in   []Removed
		want string
	}{
		{nil, ""},
		{[]Removed{{Key: "X-Ms-Exchange-Organization-Scl"}}, "X-Ms-Exchange-Organization-Scl"},
		{[]Removed{{Key: "A"}, {Key: "B"}}, "A,B"},
	} {
		if got := RemovedKeys(tc.in); got != tc.want {
			t.Errorf("RemovedKeys(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
