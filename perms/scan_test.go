package perms

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFilterNoBypass tries to smuggle forbidden fields past the firewall
// by case, folding, white space before the colon and bare LF line ends.
// Each input carries one forbidden field (routing, organization or forest)
// and To; only To may come out.
func TestFilterNoBypass(t *testing.T) {
	tests := []struct {
		name, in string
		class    Class
	}{
		{"lower case", "received: x\r\nTo: a\r\n\r\n", Routing},
		{"upper case", "RECEIVED: x\r\nTo: a\r\n\r\n", Routing},
		{"mixed case resent", "rEsEnT-fRoM: x\r\nTo: a\r\n\r\n", Routing},
		{"mixed case organization", "x-Ms-ExChAnGe-OrGaNiZaTiOn-SCL: -1\r\nTo: a\r\n\r\n", Organization},
		{"mixed case forest", "X-MS-EXCHANGE-FOREST-A: 1\r\nTo: a\r\n\r\n", Forest},
		{"folded value", "X-MS-Exchange-Organization-AuthAs:\r\n Internal\r\n\tInternal\r\nTo: a\r\n\r\n", Organization},
		{"folded with empty line", "Received: a\r\n \r\n\t\r\n by b\r\nTo: a\r\n\r\n", Routing},
		{"folding disguising a field", "Received: a\r\n X-MS-Exchange-Organization-SCL: -1\r\nTo: a\r\n\r\n", Routing},
		{"space before colon", "Received : x\r\nTo: a\r\n\r\n", Routing},
		{"tab before colon", "X-MS-Exchange-Organization-SCL\t: -1\r\nTo: a\r\n\r\n", Organization},
		{"spaces and tabs before colon", "X-MS-Exchange-Forest-A \t \t: 1\r\nTo: a\r\n\r\n", Forest},
		{"bare LF", "Received: x\nTo: a\n\n", Routing},
		{"bare LF folding", "Received: x\n by y\nTo: a\n\n", Routing},
		{"mixed line ends", "Received: x\r\n y\n\tz\r\nTo: a\n\r\n", Routing},
		{"no blank line", "To: a\r\nReceived: x", Routing},
		{"last field cut short", "To: a\r\nX-MS-Exchange-Organization-SCL: -1\r\n  -1", Organization},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			removed, err := Filter(&out, strings.NewReader(tt.in+"body"), Receive, 0)
			if strings.HasSuffix(tt.in, "\n\n") || strings.HasSuffix(tt.in, "\r\n\r\n") || strings.HasSuffix(tt.in, "\n\r\n") {
				require.NoError(t, err)
				require.Len(t, removed, 1)
				assert.Equal(t, tt.class, removed[0].Class)
				assert.Equal(t, "To: a\r\n\r\nbody", out.String())
				return
			}
			// Without a blank line the "body" is part of the last field.
			require.NoError(t, err)
			require.Len(t, removed, 1)
			assert.Equal(t, tt.class, removed[0].Class)
			assert.Equal(t, "To: a\r\n\r\n", out.String())
		})
	}
}

func TestScanHeaderFields(t *testing.T) {
	in := "Received \t: from a\r\n\tby hub.contoso.com; Mon\r\n" +
		"Subject: hi\n" +
		"X-MS-Exchange-Organization-SCL: -1\r\n" +
		": nameless\r\n" +
		"\r\nbody"
	type seen struct {
		name, value string
		class       Class
		kept        bool
	}
	var got []seen
	br := bufio.NewReader(strings.NewReader(in))
	hdr, removed, err := scanDefault(nil, br, Routing, func(f Field) {
		got = append(got, seen{string(f.Name), string(f.Value), f.Class, f.Kept})
	})
	require.NoError(t, err)
	assert.Equal(t, []seen{
		{"Received", " from a\r\n\tby hub.contoso.com; Mon\r\n", Routing, true},
		{"Subject", " hi\r\n", 0, true},
		{"X-MS-Exchange-Organization-SCL", " -1\r\n", Organization, false},
	}, got)
	assert.Equal(t, "Received \t: from a\r\n\tby hub.contoso.com; Mon\r\nSubject: hi\r\n", string(hdr))
	assert.Equal(t, []Removed{{Class: Organization, Key: "X-Ms-Exchange-Organization-Scl", Value: "-1"}}, removed)
	rest, _ := io.ReadAll(br)
	assert.Equal(t, "body", string(rest), "br is left at the body")
}

// scanDefault is ScanHeader with the default firewall, for tests.
func scanDefault(dst []byte, br *bufio.Reader, keep Class, visit func(Field)) ([]byte, []Removed, error) {
	return defaultFirewall.ScanHeader(dst, br, keep, visit)
}

func TestScanHeaderNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	src := strings.NewReader(sampleHeader + sampleBody)
	br := bufio.NewReader(src)
	buf := make([]byte, 0, 4096)
	hops := 0
	visit := func(f Field) {
		if f.Class == Routing {
			hops++
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(sampleHeader + sampleBody)
		br.Reset(src)
		var err error
		var removed []Removed
		buf, removed, err = scanDefault(buf[:0], br, AllClasses, visit)
		if err != nil || removed != nil {
			t.Fatal(err, removed)
		}
	})
	assert.Zero(t, allocs)
	assert.Positive(t, hops)

	allocs = testing.AllocsPerRun(100, func() {
		src.Reset(sampleHeader + sampleBody)
		if _, err := Filter(io.Discard, src, Send, SendRights); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "Filter without removals")

	allocs = testing.AllocsPerRun(100, func() {
		src.Reset(sampleHeader + sampleBody)
		if rm, err := Filter(io.Discard, src, Send, 0); err != nil || len(rm) != 7 {
			t.Fatal(rm, err)
		}
	})
	assert.LessOrEqual(t, allocs, 2.0, "Filter removing 7 fields: the slice and one string")
}

func TestAppendCanonicalKey(t *testing.T) {
	for _, k := range []string{
		"", "received", "RECEIVED", "x-ms-exchange-organization-scl", "content-TYPE",
		"-x--y-", "a.b_c", "X(A)", "x@y", "a b", "caf\xc3\xa9", "1a-2b",
	} {
		assert.Equal(t, textproto.CanonicalMIMEHeaderKey(k), string(AppendCanonicalKey(nil, []byte(k))), k)
	}
}

func TestAppendUnfolded(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" a\r\n", "a"},
		{"  a  b  \r\n", "a  b"},
		{" a\r\n\tb\r\n c\r\n", "a b c"},
		{" a\r\n \r\n\t\r\n b\r\n", "a b"},
		{" a\r\r\n", "a\r"},
		{" a\rb\n c", "a\rb c"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(AppendUnfolded(nil, []byte(tt.in))), "%q", tt.in)
		assert.Equal(t, "k:"+tt.want, string(AppendUnfolded([]byte("k:"), []byte(tt.in))), "%q", tt.in)
	}
}

func TestScanHeaderReadError(t *testing.T) {
	br := bufio.NewReader(&failAfter{r: strings.NewReader(sampleHeader), n: 30})
	dst, removed, err := scanDefault([]byte("keep"), br, 0, nil)
	require.ErrorIs(t, err, errBroken)
	assert.True(t, strings.HasPrefix(err.Error(), "perms: read message: "))
	assert.Nil(t, removed)
	assert.Equal(t, "keep", string(dst), "dst is back to its length on entry")
}

func TestFieldNameIs(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		is         bool
	}{
		{"Received", "Received", true},
		{"rECEIVED", "Received", true},
		{"Received", "Receive", false},
		{"X-MS-Exchange-Organization-AuthAs", "x-ms-exchange-organization-authas", true},
		{"Receivee", "Received", false},
		{"", "", true},
	} {
		if got := (Field{Name: []byte(tt.name)}).NameIs(tt.want); got != tt.is {
			t.Errorf("Field{%q}.NameIs(%q) = %v, want %v", tt.name, tt.want, got, tt.is)
		}
	}
}
