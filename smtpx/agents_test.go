package smtpx_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Test agents, each subscribing to the events it is named for.
type (
	refuseConnect struct{ r *agent.Reply }
	refuseRcpt    struct{ addr string }
	scoreMessage  struct{ scl int }
	dropRcpt      struct{ addr string }
	redirectRcpt  struct{ from, to string }
	discardAll    struct{}
	quarantineAll struct{ to string }
	panicAtMail   struct{}
	refuseData    struct{}
	refuseHeaders struct{}
	refuseNoop    struct{}
	// hangAtMail blocks until its deadline: the chain answers 451 4.7.0.
	hangAtMail struct{}
)

func (a refuseConnect) OnConnect(context.Context, *agent.CommandEvent) error { return a.r }
func (a refuseRcpt) OnRcptCommand(_ context.Context, e *agent.CommandEvent) error {
	if e.Arg == a.addr {
		return agent.Reject(550, "5.1.1", "User unknown")
	}
	return nil
}
func (a scoreMessage) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.SetSCL(a.scl)
	e.AddHeader("X-Scanned", "yes")
	return nil
}
func (a dropRcpt) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.DropRecipient(a.addr, agent.Reject(550, "5.7.1", "Blocked by policy"))
	return nil
}
func (a redirectRcpt) OnEndOfHeaders(_ context.Context, e *agent.MessageEvent) error {
	e.RedirectRecipient(a.from, a.to)
	return nil
}
func (discardAll) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.Discard()
	return nil
}
func (a quarantineAll) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.Quarantine(a.to)
	return nil
}
func (panicAtMail) OnMailCommand(context.Context, *agent.CommandEvent) error { panic("agent bug") }
func (refuseData) OnDataCommand(context.Context, *agent.CommandEvent) error {
	return agent.Reject(554, "5.7.1", "No data today")
}
func (refuseHeaders) OnEndOfHeaders(context.Context, *agent.MessageEvent) error {
	return agent.Reject(550, "5.7.1", "Header refused")
}
func (refuseNoop) OnNoopCommand(context.Context, *agent.CommandEvent) error {
	return &agent.Reply{Code: 421, Enhanced: "4.7.0", Text: "Go away", Disconnect: true}
}
func (hangAtMail) OnMailCommand(ctx context.Context, _ *agent.CommandEvent) error {
	<-ctx.Done()
	return ctx.Err()
}

// recordEvents notes every notification event it gets.
type recordEvents struct {
	mu  sync.Mutex
	got []string
}

func (r *recordEvents) note(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
}

func (r *recordEvents) OnReject(_ context.Context, e *agent.CommandEvent) error {
	r.note("reject " + e.Reply.String())
	return nil
}
func (r *recordEvents) OnRsetCommand(context.Context, *agent.CommandEvent) error {
	r.note("rset")
	return nil
}
func (r *recordEvents) OnDisconnect(context.Context, *agent.CommandEvent) error {
	r.note("disconnect")
	return nil
}

func (r *recordEvents) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func TestAgentsAnswerCommands(t *testing.T) {
	msg := "DATA:" + message("From: a@fabrikam.com", "Subject: hi")
	tests := []struct {
		name   string
		agent  any
		opts   []agent.RegisterOption
		banner string
		script []step
	}{{
		name:   "connect refused: only QUIT is served",
		agent:  refuseConnect{agent.Reject(554, "5.7.1", "Not from here")},
		banner: "554 5.7.1 Not from here",
		script: []step{{"EHLO client.example", "503 5.5.1"}, {"QUIT", "221 2.0.0"}},
	}, {
		name:   "connect refused with disconnect",
		agent:  refuseConnect{&agent.Reply{Code: 421, Enhanced: "4.3.2", Text: "Busy", Disconnect: true}},
		banner: "421 4.3.2 Busy",
		script: []step{{"EHLO client.example", "EOF"}},
	}, {
		name:  "recipient refused, the other accepted",
		agent: refuseRcpt{"nobody@contoso.com"},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<nobody@contoso.com>", "550 5.1.1 User unknown"}, {"RCPT TO:<bob@contoso.com>", "250"},
			{msg, "250 2.6.0"}},
	}, {
		name:  "a panicking agent is answered 451 and the session goes on",
		agent: panicAtMail{},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "451 4.7.0"},
			{"NOOP", "250"}, {"QUIT", "221"}},
	}, {
		name:  "a slow agent is answered 451 4.7.0",
		agent: hangAtMail{},
		opts:  []agent.RegisterOption{agent.Timeout(time.Millisecond)},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "451 4.7.0"},
			{"MAIL FROM:<a@fabrikam.com>", "451 4.7.0"}, {"QUIT", "221"}},
	}, {
		name:  "a slow fail-open agent is skipped",
		agent: hangAtMail{},
		opts:  []agent.RegisterOption{agent.Timeout(time.Millisecond), agent.FailOpen()},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
			{"QUIT", "221"}},
	}, {
		name:  "DATA refused before the 354",
		agent: refuseData{},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"}, {"DATA", "554 5.7.1 No data today"}, {"RSET", "250"}},
	}, {
		name:  "BDAT refused, pipelined chunks skipped",
		agent: refuseData{},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"}, {"RAW:BDAT 3\r\nabcBDAT 2 LAST\r\nde", "554 5.7.1"},
			{"", "554 5.7.1"}, {"NOOP", "250"}},
	}, {
		name:  "end of headers refused after the data",
		agent: refuseHeaders{},
		script: []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
			{"RCPT TO:<bob@contoso.com>", "250"}, {msg, "550 5.7.1 Header refused"}, {"NOOP", "250"}},
	}, {
		name:   "a disconnecting reply closes",
		agent:  refuseNoop{},
		script: []step{{"EHLO client.example", "250"}, {"NOOP", "421 4.7.0 Go away"}, {"NOOP", "EOF"}},
	}, {
		name:   "an agent on another connector does not run",
		agent:  refuseNoop{},
		opts:   []agent.RegisterOption{agent.Connectors("Client Proxy")},
		script: []step{{"EHLO client.example", "250"}, {"NOOP", "250"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := agent.New()
			if err := chain.Register("test", tt.agent, tt.opts...); err != nil {
				t.Fatal(err)
			}
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithAgents(chain))
			c, banner := smtptest.Dial(t, e.firstAddr(t))
			defer c.Close()
			want := tt.banner
			if want == "" {
				want = "220 "
			}
			if !strings.HasPrefix(banner, want) {
				t.Fatalf("banner %q, want %q", banner, want)
			}
			for _, s := range tt.script {
				if s.send == "" { // a second reply to what was sent before
					if got := c.ReadReply(); !strings.HasPrefix(got, s.want) {
						t.Fatalf("next reply %q, want %q", got, s.want)
					}
					continue
				}
				if err := c.Expect(smtptest.Step{s.send, s.want}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// deliverOne sends one message from a@fabrikam.com to rcpts through a
// transport running agents, and returns the env.
func deliverOne(t *testing.T, agents map[string]any, rcpts ...string) *env {
	t.Helper()
	toInternet := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
	chain := agent.New()
	for name, a := range agents {
		if err := chain.Register(name, a); err != nil {
			t.Fatal(err)
		}
	}
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithSendConnector(toInternet), transport.WithAgents(chain))
	c, _ := smtptest.Dial(t, e.firstAddr(t))
	defer c.Close()
	steps := []smtptest.Step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"}}
	for _, r := range rcpts {
		steps = append(steps, smtptest.Step{"RCPT TO:<" + r + ">", "250"})
	}
	steps = append(steps, smtptest.Step{"DATA:" + message("From: a@fabrikam.com", "X-MS-Exchange-Organization-SCL: -1", "Subject: hi"), "250 2.6.0"})
	if err := c.Expect(steps...); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAgentsEditTheQueuedMessage(t *testing.T) {
	t.Run("SCL and header set by an agent, forged SCL gone", func(t *testing.T) {
		e := deliverOne(t, map[string]any{"score": scoreMessage{6}}, "bob@contoso.com")
		d := e.local.Wait(t)
		head, body, _ := strings.Cut(d.Body, "\r\n\r\n")
		if strings.Count(head, "X-MS-Exchange-Organization-SCL") != 1 || !strings.Contains(head, "X-MS-Exchange-Organization-SCL: 6\r\n") {
			t.Errorf("SCL not the agent's:\n%s", head)
		}
		if !strings.Contains(head, "X-Scanned: yes") || !strings.HasPrefix(head, "Received: ") || body != "Hello.\r\n" {
			t.Errorf("message:\n%s", d.Body)
		}
	})
	t.Run("discarded: answered 250, nothing queued", func(t *testing.T) {
		e := deliverOne(t, map[string]any{"discard": discardAll{}}, "bob@contoso.com")
		if n := len(e.events.Filter(ofKind(smtpx.EventQueued))); n != 0 {
			t.Errorf("%d messages queued", n)
		}
		if ev := e.events.Filter(ofKind(smtpx.EventAgent)); len(ev) != 1 || ev[0].Detail != "discarded" {
			t.Errorf("agent events %+v", ev)
		}
	})
	t.Run("quarantined to a mailbox instead of the recipients", func(t *testing.T) {
		e := deliverOne(t, map[string]any{"q": quarantineAll{"quarantine@contoso.com"}}, "bob@contoso.com")
		if d := e.local.Wait(t); len(d.Rcpts) != 1 || d.Rcpts[0] != "quarantine@contoso.com" {
			t.Errorf("delivered to %v", d.Rcpts)
		}
	})
	t.Run("redirected at end of headers", func(t *testing.T) {
		e := deliverOne(t, map[string]any{"r": redirectRcpt{"bob@contoso.com", "carol@contoso.com"}}, "bob@contoso.com")
		if d := e.local.Wait(t); len(d.Rcpts) != 1 || d.Rcpts[0] != "carol@contoso.com" {
			t.Errorf("delivered to %v", d.Rcpts)
		}
	})
	t.Run("dropped with an NDR to the sender", func(t *testing.T) {
		e := deliverOne(t, map[string]any{"drop": dropRcpt{"eve@contoso.com"}}, "bob@contoso.com", "eve@contoso.com")
		if d := e.local.Wait(t); len(d.Rcpts) != 1 || d.Rcpts[0] != "bob@contoso.com" {
			t.Errorf("delivered to %v", d.Rcpts)
		}
		ndr := e.remote.Wait(t)
		if ndr.Env.From != "" || len(ndr.Rcpts) != 1 || ndr.Rcpts[0] != "a@fabrikam.com" ||
			!strings.Contains(ndr.Body, "Final-Recipient: rfc822; eve@contoso.com") || !strings.Contains(ndr.Body, "5.7.1") {
			t.Errorf("NDR %+v", ndr)
		}
	})
}

func TestAgentsHearNotifications(t *testing.T) {
	rec := &recordEvents{}
	chain := agent.New()
	if err := chain.Register("rec", rec); err != nil {
		t.Fatal(err)
	}
	if err := chain.Register("refuse", refuseRcpt{"nobody@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithAgents(chain))
	c, _ := smtptest.Dial(t, e.firstAddr(t))
	if err := c.Expect(smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "503 5.5.1"}, smtptest.Step{"RCPT TO:<nobody@contoso.com>", "550"},
		smtptest.Step{"RSET", "250"}, smtptest.Step{"QUIT", "221"}); err != nil {
		t.Fatal(err)
	}
	if !c.Closed(quietWait) {
		t.Fatal("not closed after QUIT")
	}
	c.Close()
	e.tr.Shutdown(context.Background())
	want := []string{"reject 503 5.5.1 Sender already specified", "reject 550 5.1.1 User unknown", "rset", "disconnect"}
	if got := rec.events(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events %q, want %q", got, want)
	}
}
