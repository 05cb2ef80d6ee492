package milter_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	gm "github.com/d--j/go-milter"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/milter"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
)

func mustReply(t *testing.T, code uint16, text string) *gm.Response {
	r, err := gm.RejectWithCodeAndReason(code, text)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestActions(t *testing.T) {
	tests := []struct {
		name      string
		script    miltertest.Script
		cfg       milter.Config
		want      outcome
		wantEvent string // an event the filter must (or with "!" must not) have seen
	}{
		{name: "continue", want: outcome{deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}, wantEvent: "eom i=HUB01"},
		{name: "recipient and its macro", want: outcome{deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}, wantEvent: "rcpt bob@contoso.com rcpt_addr=bob@contoso.com"},
		{name: "add, insert, change and delete headers",
			script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error {
				return errors.Join(m.AddHeader("X-Filter", "seen"), m.InsertHeader(0, "X-Top", "first"),
					m.ChangeHeader(1, "Subject", "[filtered] test"), m.ChangeHeader(1, "Message-ID", ""))
			}},
			want: outcome{header: []string{"X-Top: first", "From: sender@fabrikam.com", "To: bob@contoso.com", "Subject: [filtered] test",
				"Date: Sun, 06 Dec 2026 21:00:00 +0000", "X-Filter: seen"}, deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}},
		{name: "replace body",
			script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error { return m.ReplaceBody(strings.NewReader("cleaned\r\n")) }},
			want:   outcome{body: "cleaned\r\n", deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}},
		{name: "add and delete recipients",
			script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error {
				return errors.Join(m.AddRecipient("<audit@contoso.com>", ""), m.DeleteRecipient("<bob@contoso.com>"))
			}},
			want: outcome{deliver: []string{"audit@contoso.com"}, scl: agent.NoSCL}},
		{name: "quarantine to mailbox", cfg: milter.Config{QuarantineMailbox: "q@contoso.com"},
			script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error { return m.Quarantine("virus") }},
			want:   outcome{deliver: []string{"q@contoso.com"}, quarantine: "q@contoso.com", scl: agent.NoSCL}},
		{name: "quarantine without mailbox is stamped",
			script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error { return m.Quarantine("virus") }},
			want: outcome{header: []string{"From: sender@fabrikam.com", "To: bob@contoso.com", "Subject: test", "Message-ID: <1@fabrikam.com>",
				"Date: Sun, 06 Dec 2026 21:00:00 +0000", "X-Quarantine-Reason: virus"}, deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}},
		{name: "discard", script: miltertest.Script{Replies: map[string]*gm.Response{"eom": gm.RespDiscard}},
			want: outcome{discard: true, scl: agent.NoSCL}},
		{name: "discard scored", cfg: milter.Config{ScoreOnly: true}, script: miltertest.Script{Replies: map[string]*gm.Response{"eom": gm.RespDiscard}},
			want: outcome{deliver: []string{"bob@contoso.com"}, scl: 9}},
		{name: "reject at RCPT", script: miltertest.Script{Replies: map[string]*gm.Response{"rcpt": gm.RespReject}},
			want: outcome{rcpt: "550 5.7.1 Command rejected"}},
		{name: "tempfail at RCPT", script: miltertest.Script{Replies: map[string]*gm.Response{"rcpt": gm.RespTempFail}},
			want: outcome{rcpt: "451 4.7.1 Service unavailable - try again later"}},
		{name: "custom reply at end of message", script: miltertest.Script{Replies: map[string]*gm.Response{"eom": mustReply(t, 554, "5.7.1 Virus found")}},
			want: outcome{eod: "554 5.7.1 Virus found", deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}},
		{name: "custom reply scored", cfg: milter.Config{ScoreOnly: true}, script: miltertest.Script{Replies: map[string]*gm.Response{"eom": mustReply(t, 554, "5.7.1 spam")}},
			want: outcome{deliver: []string{"bob@contoso.com"}, scl: 9}},
		{name: "tempfail at end of message is kept even scored", cfg: milter.Config{ScoreOnly: true}, script: miltertest.Script{Replies: map[string]*gm.Response{"eom": gm.RespTempFail}},
			want: outcome{eod: "451 4.7.1 Service unavailable - try again later", deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}},
		{name: "accept stops the filter", script: miltertest.Script{Replies: map[string]*gm.Response{"mail": gm.RespAccept}},
			want: outcome{deliver: []string{"bob@contoso.com"}, scl: agent.NoSCL}, wantEvent: "!rcpt bob@contoso.com rcpt_addr=bob@contoso.com"},
		{name: "score header", script: miltertest.Script{EndOfMessage: func(m gm.Modifier) error {
			return m.AddHeader("X-Spamd-Result", "default: False [12.00 / 15.00]; BAYES_SPAM(5.10)[99.99%]")
		}}, want: outcome{deliver: []string{"bob@contoso.com"}, scl: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := miltertest.NewFilter(t, tt.script)
			cfg := tt.cfg
			cfg.Network, cfg.Address, cfg.Hostname, cfg.Logger = "tcp", f.Addr, "edge.contoso.com", quiet()
			m, err := milter.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			chain := agent.New(agent.WithLogger(quiet()))
			if err := milter.Register(chain, m); err != nil {
				t.Fatal(err)
			}
			rcpt, eod, msg := deliver(t, chain, "Hello\r\n")
			got := outcome{rcpt: str(rcpt), eod: str(eod)}
			if msg != nil {
				for _, r := range msg.DeliverTo() {
					got.deliver = append(got.deliver, r.Address)
				}
				got.discard, got.scl, got.quarantine = msg.Discard, msg.SCL, msg.Quarantine
				if tt.want.header != nil {
					for _, fl := range msg.Header {
						got.header = append(got.header, fl.Name+":"+fl.Value)
					}
				}
				if tt.want.body != "" {
					b, _ := io.ReadAll(io.NewSectionReader(msg.Body, 0, msg.BodySize))
					got.body = string(b)
				}
			}
			if !equal(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			events := f.Events()
			for _, must := range []string{"connect 192.0.2.10 j=edge.contoso.com", "helo mx.fabrikam.com", "mail sender@fabrikam.com mail_addr=sender@fabrikam.com"} {
				if !slices.Contains(events, must) {
					t.Errorf("filter did not see %q: %q", must, events)
				}
			}
			if w, not := strings.CutPrefix(tt.wantEvent, "!"); tt.wantEvent != "" && slices.Contains(events, w) == not {
				t.Errorf("event %q: filter saw %q", tt.wantEvent, events)
			}
		})
	}
}

// outcome is what the chain answered and left of the message.
type outcome struct {
	rcpt, eod  string
	header     []string // fields as "Name: value", nil if not checked
	body       string   // "" if not checked
	deliver    []string
	discard    bool
	scl        int
	quarantine string
}

func equal(a, b outcome) bool {
	return a.rcpt == b.rcpt && a.eod == b.eod && slices.Equal(a.header, b.header) && a.body == b.body &&
		slices.Equal(a.deliver, b.deliver) && a.discard == b.discard && a.scl == b.scl && a.quarantine == b.quarantine
}

func str(r *agent.Reply) string {
	if r == nil {
		return ""
	}
	return r.String()
}
