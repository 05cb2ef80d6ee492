package senderid_test

import (
	"cmp"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/senderid"
	"github.com/hubedge/hubedge/mx/mxtest"
)

func TestSenderID(t *testing.T) {
	d := mxtest.NewDNS(t,
		mxtest.TXT("fabrikam.com", "v=spf1 ip4:192.0.2.0/24 -all"),
		mxtest.TXT("soft.example", "v=spf1 ip4:198.51.100.1 ~all"),
		mxtest.TXT("neutral.example", "v=spf1 ?all"),
		mxtest.TXT("broken.example", "v=spf1 bogus:x -all"),
		mxtest.TXT("mx.fabrikam.com", "v=spf1 a -all"),
		mxtest.A("mx.fabrikam.com", "192.0.2.25"),
		mxtest.ServFail("down.example"),
	)
	tests := []struct {
		name       string
		cfg        senderid.Config
		ip, sender string
		helo       string
		want       string // reply
		result     string // X-MS-Exchange-Organization-SenderIdResult, "" when not stamped
		discard    bool
	}{
		{name: "pass", ip: "192.0.2.7", sender: "s@fabrikam.com", result: "Pass"},
		{name: "fail stamped", ip: "203.0.113.9", sender: "s@fabrikam.com", result: "Fail"},
		{name: "fail rejected", cfg: senderid.Config{SpoofedDomainAction: senderid.Reject}, ip: "203.0.113.9", sender: "s@fabrikam.com", want: "550 5.7.1 Sender ID (PRA) Not Permitted"},
		{name: "fail deleted", cfg: senderid.Config{SpoofedDomainAction: senderid.Delete}, ip: "203.0.113.9", sender: "s@fabrikam.com", discard: true},
		{name: "softfail", cfg: senderid.Config{SpoofedDomainAction: senderid.Reject}, ip: "203.0.113.9", sender: "s@soft.example", result: "SoftFail"},
		{name: "neutral", ip: "203.0.113.9", sender: "s@neutral.example", result: "Neutral"},
		{name: "none", ip: "203.0.113.9", sender: "s@norecord.example", result: "None"},
		{name: "permerror", ip: "203.0.113.9", sender: "s@broken.example", result: "PermError"},
		{name: "temperror rejected", cfg: senderid.Config{TempErrorAction: senderid.Reject}, ip: "203.0.113.9", sender: "s@down.example", want: "451 4.7.24 SPF validation error, try again later"},
		{name: "null sender uses HELO", ip: "192.0.2.25", sender: "", helo: "mx.fabrikam.com", result: "Pass"},
		{name: "bypassed domain", cfg: senderid.Config{BypassedSenderDomains: []string{"Fabrikam.com"}, SpoofedDomainAction: senderid.Reject}, ip: "203.0.113.9", sender: "s@fabrikam.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Hostname = "edge.contoso.com"
			tt.cfg.Resolver = d.Resolver()
			chain := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			if err := chain.Register(senderid.Name, senderid.New(tt.cfg)); err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			k := chain.Open(agent.Session{Remote: netip.AddrPortFrom(netip.MustParseAddr(tt.ip), 4000)})
			k.Ehlo(ctx, cmp.Or(tt.helo, "client.example"))
			k.Mail(ctx, tt.sender, nil)
			m := agent.NewMessage([]agent.Field{{Name: "Subject", Value: " x"}}, "a@contoso.com")
			got := ""
			if r := k.EndOfHeaders(ctx, m); r != nil {
				got = r.String()
			}
			if got != tt.want || m.Discard != tt.discard {
				t.Fatalf("reply %q discard %v, want %q %v", got, m.Discard, tt.want, tt.discard)
			}
			res, _ := agent.HeaderValue(m.Header, senderid.ResultHeader)
			if res != tt.result {
				t.Errorf("result %q, want %q", res, tt.result)
			}
			if tt.result == "" {
				return
			}
			spfv, _ := agent.HeaderValue(m.Header, "Received-SPF")
			if !strings.HasPrefix(spfv, strings.ToLower(tt.result)+" (edge.contoso.com: ") || !strings.Contains(spfv, "client-ip="+tt.ip+";") {
				t.Errorf("Received-SPF: %s", spfv)
			}
			arv, _ := agent.HeaderValue(m.Header, "Authentication-Results")
			id, results, err := authres.Parse(arv)
			if err != nil || id != "edge.contoso.com" || len(results) != 1 {
				t.Fatalf("Authentication-Results %q: %v %v %v", arv, id, results, err)
			}
			if r, ok := results[0].(*authres.SPFResult); !ok || string(r.Value) != strings.ToLower(tt.result) || r.From != tt.sender {
				t.Errorf("Authentication-Results %q parsed as %+v", arv, results[0])
			}
			if m.Header[0].Name != "Authentication-Results" || m.Header[1].Name != "Received-SPF" {
				t.Errorf("stamps not at the top: %v", m.Header)
			}
		})
	}
}

// FuzzStamp checks that whatever a client sends as HELO and MAIL FROM, the
// stamps stay one field each and parse back.
func FuzzStamp(f *testing.F) {
	f.Add("mx.example", "s@fabrikam.com")
	f.Add("a\r\nX-Injected: 1", "\"q\"@x")
	d := mxtest.NewDNS(f, mxtest.TXT("fabrikam.com", "v=spf1 ip4:192.0.2.0/24 -all"))
	f.Fuzz(func(t *testing.T, helo, sender string) {
		f := senderid.New(senderid.Config{Hostname: "edge.contoso.com", Resolver: d.Resolver()})
		chain := agent.New()
		if err := chain.Register(senderid.Name, f); err != nil {
			t.Fatal(err)
		}
		k := chain.Open(agent.Session{Remote: netip.MustParseAddrPort("192.0.2.1:25")})
		k.Ehlo(t.Context(), helo)
		k.Mail(t.Context(), sender, nil)
		m := agent.NewMessage(nil)
		k.EndOfHeaders(t.Context(), m)
		for _, fl := range m.Header {
			if strings.ContainsAny(fl.Value, "\r\n") {
				t.Fatalf("line break in %s: %q", fl.Name, fl.Value)
			}
		}
		if v, ok := agent.HeaderValue(m.Header, "Authentication-Results"); ok {
			if _, _, err := authres.Parse(v); err != nil {
				t.Fatalf("unparsable %q: %v", v, err)
			}
		}
	})
}
