package wire_test

import (
	"bufio"
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestParseEHLO(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"mx.fabrikam.com greets you", map[string]string{}},
		{"mx\nPIPELINING\nsize 1024\nAUTH PLAIN LOGIN\nSTARTTLS\n\n8BITMIME", map[string]string{
			"PIPELINING": "", "SIZE": "1024", "AUTH": "PLAIN LOGIN", "STARTTLS": "", "8BITMIME": ""}},
		{"mx\nAUTH LOGIN\nAUTH PLAIN", map[string]string{"AUTH": "LOGIN"}},
	}
	for _, tt := range tests {
		got := wire.ParseEHLO(tt.in)
		if len(got) != len(tt.want) {
			t.Fatalf("%q: got %v, want %v", tt.in, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
}

func FuzzParseEHLO(f *testing.F) {
	for _, s := range []string{"", "mx", "mx\nSIZE 10\nAUTH PLAIN", "mx\n\n\n", "mx\n a b \nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ext := wire.ParseEHLO(s)
		for k, v := range ext {
			if k == "" || k != strings.ToUpper(k) || strings.ContainsAny(k, " \n") {
				t.Fatalf("bad keyword %q", k)
			}
			if strings.Contains(v, "\n") || v != strings.TrimSpace(v) {
				t.Fatalf("bad params %q", v)
			}
		}
	})
}

func TestAppendEHLO(t *testing.T) {
	full := wire.Offer{Domain: "mx", Remote: netip.MustParseAddr("2001:db8::1"), Ext: wire.ExtSize | wire.Ext8BitMIME | wire.ExtSMTPUTF8 | wire.ExtDSN | wire.ExtAuth | wire.ExtRequireTLS,
		MaxSize: 36700160, Pipelining: true, EnhancedStatusCodes: true, StartTLS: true, Auth: []string{"PLAIN", "LOGIN"},
		Chunking: true, RcptMax: 200}
	tests := []struct {
		o    wire.Offer
		want string
	}{
		{wire.Offer{Domain: "mx"}, "250 mx\r\n"},
		{wire.Offer{Domain: "mx", Remote: netip.MustParseAddr("192.0.2.1")}, "250 mx Hello [192.0.2.1]\r\n"},
		{wire.Offer{Domain: "mx", Ext: wire.ExtSize}, "250-mx\r\n250 SIZE\r\n"},
		{wire.Offer{Domain: "mx", Ext: wire.ExtAuth}, "250 mx\r\n"}, // AUTH without a mechanism is not listed
		{full, "250-mx Hello [2001:db8::1]\r\n250-SIZE 36700160\r\n250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n" +
			"250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-LIMITS RCPTMAX=200\r\n" +
			"250-REQUIRETLS\r\n250 SMTPUTF8\r\n"},
	}
	for _, tt := range tests {
		got := wire.AppendEHLO([]byte("prefix "), tt.o)
		if string(got) != "prefix "+tt.want {
			t.Errorf("AppendEHLO(%+v) = %q, want %q", tt.o, got, tt.want)
		}
	}
	// Once per session: into a buffer with room it allocates nothing.
	buf := make([]byte, 0, 1024)
	if allocs := testing.AllocsPerRun(100, func() { buf = wire.AppendEHLO(buf[:0], full) }); allocs != 0 {
		t.Errorf("AppendEHLO allocates %v times, want 0", allocs)
	}
}

// FuzzEHLORoundTrip: what a server lists, a client reads back as the same
// offer.
func FuzzEHLORoundTrip(f *testing.F) {
	f.Add(uint16(0), int64(0), uint8(0), uint16(0), "PLAIN LOGIN")
	f.Add(uint16(0xffff), int64(36700160), uint8(0xff), uint16(200), "PLAIN")
	f.Fuzz(func(t *testing.T, ext uint16, size int64, flags uint8, rcptMax uint16, auth string) {
		o := wire.Offer{Domain: "mx", Ext: wire.Ext(ext) & (wire.ExtSize | wire.Ext8BitMIME | wire.ExtBinaryMIME | wire.ExtSMTPUTF8 |
			wire.ExtDSN | wire.ExtAuth | wire.ExtRequireTLS),
			Pipelining: flags&1 != 0, EnhancedStatusCodes: flags&2 != 0, StartTLS: flags&4 != 0, Chunking: flags&8 != 0,
			RcptMax: int(rcptMax)}
		if o.Ext&wire.ExtSize != 0 && size > 0 {
			o.MaxSize = size
		}
		for _, m := range strings.Fields(auth) {
			if strings.ToUpper(m) == m && !strings.ContainsFunc(m, func(r rune) bool { return r < '!' || r > '~' }) {
				o.Auth = append(o.Auth, m)
			}
		}
		if len(o.Auth) == 0 {
			o.Ext &^= wire.ExtAuth // AUTH is listed only with a mechanism
		}
		if o.Ext&wire.ExtAuth == 0 {
			o.Auth = nil
		}
		_, text, err := wire.ReadReplyText(bufio.NewReader(bytes.NewReader(wire.AppendEHLO(nil, o))))
		if err != nil {
			t.Fatal(err)
		}
		got := wire.OfferOf(wire.ParseEHLO(text))
		got.Domain = "mx" // the greeting is not a keyword
		if !reflect.DeepEqual(got, o) {
			t.Fatalf("round trip %+v -> %+v", o, got)
		}
	})
}
