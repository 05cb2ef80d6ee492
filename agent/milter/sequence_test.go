package milter_test

import (
	"net/netip"
	"slices"
	"testing"

	gm "github.com/d--j/go-milter"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/milter"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
)

// TestSessionSequences plays legal SMTP orders that leave the filter's
// protocol state behind the session's: the filter must stay usable.
func TestSessionSequences(t *testing.T) {
	tests := []struct {
		name   string
		script miltertest.Script
		play   func(k *agent.Conn, t *testing.T) *agent.Reply // the last answer
		want   string
		event  string // an event the filter must have seen
	}{
		{name: "accept ends with the transaction", script: miltertest.Script{Replies: map[string]*gm.Response{"mail": gm.RespAccept}},
			play: func(k *agent.Conn, t *testing.T) *agent.Reply {
				k.Ehlo(t.Context(), "mx.fabrikam.com")
				k.Mail(t.Context(), "a@fabrikam.com", nil)
				k.Rcpt(t.Context(), "x@contoso.com", nil)
				k.Rset(t.Context())
				return k.Mail(t.Context(), "b@fabrikam.com", nil)
			}, event: "mail b@fabrikam.com mail_addr=b@fabrikam.com"},
		{name: "RSET before HELO", play: func(k *agent.Conn, t *testing.T) *agent.Reply {
			k.Rset(t.Context())
			k.Ehlo(t.Context(), "mx.fabrikam.com")
			return k.Mail(t.Context(), "a@fabrikam.com", nil)
		}},
		{name: "MAIL again after the filter refused one", script: miltertest.Script{Replies: map[string]*gm.Response{"rcpt": gm.RespReject}},
			play: func(k *agent.Conn, t *testing.T) *agent.Reply {
				k.Ehlo(t.Context(), "mx.fabrikam.com")
				k.Mail(t.Context(), "a@fabrikam.com", nil)
				k.Rcpt(t.Context(), "x@contoso.com", nil)
				k.Data(t.Context()) // no recipient: nothing for the filter
				return k.Mail(t.Context(), "b@fabrikam.com", nil)
			}},
		{name: "MAIL again without RSET", play: func(k *agent.Conn, t *testing.T) *agent.Reply {
			k.Ehlo(t.Context(), "mx.fabrikam.com")
			k.Mail(t.Context(), "a@fabrikam.com", nil)
			return k.Mail(t.Context(), "b@fabrikam.com", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := miltertest.NewFilter(t, tt.script)
			m, err := milter.New(milter.Config{Network: "tcp", Address: f.Addr, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			chain := agent.New(agent.WithLogger(quiet()))
			if err := milter.Register(chain, m); err != nil {
				t.Fatal(err)
			}
			k := chain.Open(agent.Session{Remote: netip.MustParseAddrPort("192.0.2.1:1")})
			defer k.Disconnect(t.Context())
			if r := k.Connect(t.Context()); r != nil {
				t.Fatal(r)
			}
			if got := str(tt.play(k, t)); got != tt.want {
				t.Errorf("answer %q, want %q; filter saw %q", got, tt.want, f.Events())
			}
			if tt.event != "" && !slices.Contains(f.Events(), tt.event) {
				t.Errorf("filter did not see %q: %q", tt.event, f.Events())
			}
		})
	}
}
