package connectionfilter_test

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/mx/mxtest"
)

func mustRange(t *testing.T, s string) connectionfilter.Entry {
	t.Helper()
	e, err := connectionfilter.ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// session plays connect, RCPT and DATA through a chain holding only f.
func session(t *testing.T, f *connectionfilter.Filter, s agent.Session, rcpts ...string) (rcptReplies []string, data string) {
	t.Helper()
	c := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := c.Register(connectionfilter.Name, f, agent.Priority(connectionfilter.Priority)); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	k := c.Open(s)
	if r := k.Connect(ctx); r != nil {
		t.Fatalf("connect answered %v", r)
	}
	k.Mail(ctx, "s@fabrikam.com", nil)
	for _, rc := range rcpts {
		rcptReplies = append(rcptReplies, str(k.Rcpt(ctx, rc, nil)))
	}
	return rcptReplies, str(k.Data(ctx))
}

func str(r *agent.Reply) string {
	if r == nil {
		return ""
	}
	if r.Disconnect {
		return r.String() + " +close"
	}
	return r.String()
}

func TestFilter(t *testing.T) {
	d := mxtest.NewDNS(t,
		mxtest.A("2.0.0.127.any.test", "127.0.0.2"),
		mxtest.A("9.2.0.192.any.test", "127.0.0.2"),
		mxtest.A("9.2.0.192.exact.test", "127.0.0.10"),
		mxtest.A("9.2.0.192.bits.test", "127.0.0.5"),
		mxtest.A("9.2.0.192.public.test", "192.0.2.99"), // not 127/8: no listing
		mxtest.ServFail("9.2.0.192.broken.test"),
		mxtest.A("8.2.0.192.white.test", "127.0.0.2"),
		mxtest.A("8.2.0.192.any.test", "127.0.0.2"),
		mxtest.A("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.any.test", "127.0.0.4"),
	)
	any := func(zone, text string) connectionfilter.Provider {
		return connectionfilter.Provider{Name: zone, LookupDomain: zone, AnyMatch: true, RejectionResponse: text}
	}
	bits := connectionfilter.Provider{Name: "bits", LookupDomain: "bits.test", BitmaskMatch: netip.MustParseAddr("127.0.0.4")}
	exact := connectionfilter.Provider{Name: "exact", LookupDomain: "exact.test", IPAddressesMatch: []netip.Addr{netip.MustParseAddr("127.0.0.2")}}
	const blocked = "550 5.7.1 External client with IP address 192.0.2.9 does not have permissions to submit to this server"
	tests := []struct {
		name      string
		cfg       connectionfilter.Config
		remote    string
		session   agent.Session
		wantRcpt  string
		wantData  string
		bypassRcp bool
	}{
		{name: "clean", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("any.test", "")}}, remote: "192.0.2.7"},
		{name: "block list address", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.9")}}, remote: "192.0.2.9",
			wantRcpt: blocked, wantData: "554 5.7.1 External client with IP address 192.0.2.9 does not have permissions to submit to this server +close"},
		{name: "block list range", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.1-192.0.2.10")}}, remote: "192.0.2.9", wantRcpt: blocked, wantData: "554"},
		{name: "block list CIDR, custom text", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.0/28")}, StaticEntryRejectionResponse: "go away %s"}, remote: "192.0.2.9",
			wantRcpt: "550 5.7.1 go away 192.0.2.9", wantData: "554"},
		{name: "machine entry", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{{First: netip.MustParseAddr("192.0.2.9"), Last: netip.MustParseAddr("192.0.2.9"), Machine: true}}}, remote: "192.0.2.9",
			wantRcpt: "550 5.7.1 External client with IP address 192.0.2.9 does not have permissions to submit to this server because it has been blocked by a sender reputation rule", wantData: "554"},
		{name: "expired entry", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{{First: netip.MustParseAddr("192.0.2.9"), Last: netip.MustParseAddr("192.0.2.9"), Expires: now}}}, remote: "192.0.2.9"},
		{name: "allow list wins", cfg: connectionfilter.Config{AllowList: []connectionfilter.Entry{mustRange(t, "192.0.2.0/24")}, BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.9")}}, remote: "192.0.2.9"},
		{name: "internal server", cfg: connectionfilter.Config{InternalSMTPServers: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.9")}}, remote: "192.0.2.9"},
		{name: "authenticated", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.9")}}, remote: "192.0.2.9", session: agent.Session{AuthUser: "alice"}},
		{name: "provider any match", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("any.test", "Listed at any.test")}}, remote: "192.0.2.9", wantRcpt: "550 5.7.1 Listed at any.test"},
		{name: "provider default text", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("any.test", "")}}, remote: "192.0.2.9", wantRcpt: "550 5.7.1 " + connectionfilter.DefaultProviderResponse},
		{name: "provider IPv6", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("any.test", "v6")}}, remote: "2001:db8::1", wantRcpt: "550 5.7.1 v6"},
		{name: "exact match misses", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{exact}}, remote: "192.0.2.9"},
		{name: "bitmask match", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{bits}}, remote: "192.0.2.9", wantRcpt: "550 5.7.1 " + connectionfilter.DefaultProviderResponse},
		{name: "public answer is no listing", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("public.test", "")}}, remote: "192.0.2.9"},
		{name: "broken provider skipped", cfg: connectionfilter.Config{BlockListProviders: []connectionfilter.Provider{any("broken.test", ""), any("any.test", "second")}}, remote: "192.0.2.9", wantRcpt: "550 5.7.1 second"},
		{name: "allow list provider", cfg: connectionfilter.Config{AllowListProviders: []connectionfilter.Provider{any("white.test", "")}, BlockListProviders: []connectionfilter.Provider{any("any.test", "")}}, remote: "192.0.2.8"},
		{name: "bypassed recipient", cfg: connectionfilter.Config{BlockList: []connectionfilter.Entry{mustRange(t, "192.0.2.9")}, BypassedRecipients: []string{"postmaster@contoso.com"}}, remote: "192.0.2.9", wantRcpt: blocked, bypassRcp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DNSServers = []string{d.Addr()}
			tt.cfg.Now = func() time.Time { return now }
			tt.cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			f, err := connectionfilter.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			s := tt.session
			s.Remote = netip.AddrPortFrom(netip.MustParseAddr(tt.remote), 25000)
			rcpts := []string{"a@contoso.com"}
			if tt.bypassRcp {
				rcpts = append(rcpts, "Postmaster@contoso.com")
			}
			got, data := session(t, f, s, rcpts...)
			if got[0] != tt.wantRcpt {
				t.Errorf("RCPT: %q, want %q", got[0], tt.wantRcpt)
			}
			if tt.bypassRcp && got[1] != "" {
				t.Errorf("bypassed recipient got %q", got[1])
			}
			if len(data) < len(tt.wantData) || data[:len(tt.wantData)] != tt.wantData || (tt.wantData == "" && data != "") {
				t.Errorf("DATA: %q, want %q", data, tt.wantData)
			}
		})
	}
}

func TestAddBlockListEntryWhileRunning(t *testing.T) {
	f, err := connectionfilter.New(connectionfilter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := agent.Session{Remote: netip.MustParseAddrPort("198.51.100.1:1000")}
	if got, _ := session(t, f, s, "a@contoso.com"); got[0] != "" {
		t.Fatalf("before: %q", got[0])
	}
	f.AddBlockListEntry(mustRange(t, "198.51.100.0/24"))
	if got, _ := session(t, f, s, "a@contoso.com"); got[0] == "" {
		t.Fatal("entry added while running not applied")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]connectionfilter.Config{
		"no match rule": {BlockListProviders: []connectionfilter.Provider{{Name: "x", LookupDomain: "x.test"}}},
		"no domain":     {BlockListProviders: []connectionfilter.Provider{{Name: "x", AnyMatch: true}}},
		"long text":     {BlockListProviders: []connectionfilter.Provider{{Name: "x", LookupDomain: "x.test", AnyMatch: true, RejectionResponse: string(make([]byte, 241))}}},
		"two lines":     {StaticEntryRejectionResponse: "a\r\nb"},
	} {
		if _, err := connectionfilter.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
