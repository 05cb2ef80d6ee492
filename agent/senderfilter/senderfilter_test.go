package senderfilter_test

import (
	"testing"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/senderfilter"
)

func TestFilter(t *testing.T) {
	cfg := senderfilter.Config{
		BlockedSenders:              []string{"Bad@Fabrikam.com"},
		BlockedDomains:              []string{"spam.example"},
		BlockedDomainsAndSubdomains: []string{"*.junk.example"},
		BlankSenderBlockingEnabled:  true,
	}
	tests := []struct {
		name    string
		cfg     func(*senderfilter.Config)
		session agent.Session
		from    string
		header  string // From field
		mail    string // reply to MAIL
		eoh     string // reply at end of headers
		stamp   bool
	}{
		{name: "clean", from: "good@fabrikam.com", header: "good@fabrikam.com"},
		{name: "blocked sender, case", from: "bad@FABRIKAM.com", mail: "554 5.1.0 Sender Denied"},
		{name: "blocked domain", from: "x@spam.example", mail: "554 5.1.0 Sender Denied"},
		{name: "domain is not subdomains", from: "x@a.spam.example"},
		{name: "domain and subdomains", from: "x@a.b.junk.example", mail: "554 5.1.0 Sender Denied"},
		{name: "tree root", from: "x@junk.example", mail: "554 5.1.0 Sender Denied"},
		{name: "blank sender", from: "", mail: "554 5.1.0 Sender Denied"},
		{name: "blank allowed", cfg: func(c *senderfilter.Config) { c.BlankSenderBlockingEnabled = false }, from: ""},
		{name: "header From", from: "good@fabrikam.com", header: `"Spammer" <x@spam.example>`, eoh: "554 5.1.0 Sender Denied"},
		{name: "authenticated skipped", session: agent.Session{AuthUser: "bad"}, from: "bad@fabrikam.com"},
		{name: "internal enabled", cfg: func(c *senderfilter.Config) { c.InternalMailEnabled = true }, session: agent.Session{Internal: true}, from: "bad@fabrikam.com", mail: "554 5.1.0 Sender Denied"},
		{name: "stamp", cfg: func(c *senderfilter.Config) { c.Action = senderfilter.StampStatus }, from: "bad@fabrikam.com", stamp: true},
		{name: "stamp header From", cfg: func(c *senderfilter.Config) { c.Action = senderfilter.StampStatus }, from: "ok@fabrikam.com", header: "x@spam.example", stamp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			chain := agent.New()
			if err := chain.Register(senderfilter.Name, senderfilter.New(c)); err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			k := chain.Open(tt.session)
			r := k.Mail(ctx, tt.from, nil)
			if got := str(r); got != tt.mail {
				t.Fatalf("MAIL: %q, want %q", got, tt.mail)
			}
			if r != nil {
				if !r.Disconnect {
					t.Error("Sender Denied does not close")
				}
				return
			}
			m := agent.NewMessage([]agent.Field{{Name: "From", Value: " " + tt.header}}, "a@contoso.com")
			if got := str(k.EndOfHeaders(ctx, m)); got != tt.eoh {
				t.Errorf("end of headers: %q, want %q", got, tt.eoh)
			}
			if _, stamped := agent.HeaderValue(m.Header, senderfilter.StatusHeader); stamped != tt.stamp {
				t.Errorf("stamped %v, want %v (%v)", stamped, tt.stamp, m.Header)
			}
		})
	}
}

func str(r *agent.Reply) string {
	if r == nil {
		return ""
	}
	return r.String()
}

// FuzzFrom feeds arbitrary MAIL FROM and From field values: never a panic.
func FuzzFrom(f *testing.F) {
	f.Add("a@spam.example", `"x" <a@junk.example>`)
	f.Add("", "<")
	f.Add("@", "a@b, c@d")
	filter := senderfilter.New(senderfilter.Config{BlockedDomainsAndSubdomains: []string{"junk.example"}, Action: senderfilter.StampStatus})
	chain := agent.New()
	if err := chain.Register(senderfilter.Name, filter); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, from, header string) {
		k := chain.Open(agent.Session{})
		k.Mail(t.Context(), from, nil)
		k.EndOfHeaders(t.Context(), agent.NewMessage([]agent.Field{{Name: "From", Value: header}}))
	})
}
