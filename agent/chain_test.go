package agent_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
)

// recorder is an agent of every receive event that records its calls.
type recorder struct {
	name string
	mu   *sync.Mutex
	log  *[]string
	rcpt error // answer of OnRcptCommand
}

func (r recorder) note(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, r.name+":"+ev)
}

func (r recorder) OnConnect(context.Context, *agent.CommandEvent) error {
	r.note("connect")
	return nil
}
func (r recorder) OnRcptCommand(_ context.Context, e *agent.CommandEvent) error {
	r.note("rcpt " + e.Arg)
	return r.rcpt
}

func quiet() agent.Option { return agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

func TestPriorityAndConnectors(t *testing.T) {
	var mu sync.Mutex
	var log []string
	rec := func(n string) recorder { return recorder{name: n, mu: &mu, log: &log} }
	c := agent.New(quiet())
	must(t, c.Register("last", rec("last"), agent.Priority(5)))
	must(t, c.Register("first", rec("first"), agent.Priority(0)))
	must(t, c.Register("internet-only", rec("inet"), agent.Priority(0), agent.Connectors("From Internet")))
	must(t, c.Register("appended", rec("appended")))
	if got, want := c.Agents(), []string{"first", "internet-only", "last", "appended"}; !slices.Equal(got, want) {
		t.Fatalf("Agents() = %v, want %v", got, want)
	}
	tests := []struct {
		connector string
		want      []string
	}{
		{"from internet", []string{"first:connect", "inet:connect", "last:connect", "appended:connect"}},
		{"Client", []string{"first:connect", "last:connect", "appended:connect"}},
	}
	for _, tt := range tests {
		log = nil
		k := c.Open(agent.Session{Connector: tt.connector})
		if r := k.Connect(t.Context()); r != nil {
			t.Fatalf("%s: Connect = %v", tt.connector, r)
		}
		if !slices.Equal(log, tt.want) {
			t.Errorf("%s: calls %v, want %v", tt.connector, log, tt.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegisterErrors(t *testing.T) {
	c := agent.New()
	if err := c.Register("nothing", struct{}{}); !errors.Is(err, agent.ErrNoEvents) {
		t.Errorf("Register(no events) = %v, want ErrNoEvents", err)
	}
	var mu sync.Mutex
	var log []string
	must(t, c.Register("a", recorder{mu: &mu, log: &log}))
	if err := c.Register("A", recorder{mu: &mu, log: &log}); !errors.Is(err, agent.ErrDuplicateName) {
		t.Errorf("Register(duplicate) = %v, want ErrDuplicateName", err)
	}
}

func TestEmptyChainOpensNil(t *testing.T) {
	c := agent.New()
	k := c.Open(agent.Session{Connector: "x"})
	if k != nil {
		t.Fatal("Open on an empty chain returned a Conn")
	}
	ctx := t.Context()
	if k.Connect(ctx) != nil || k.Rcpt(ctx, "a@b", nil) != nil || k.EndOfData(ctx, agent.NewMessage(nil)) != nil {
		t.Fatal("nil Conn answered")
	}
	k.Disconnect(ctx)
}

// funcAgent adapts a function to OnRcptCommand.
type funcAgent func(ctx context.Context, e *agent.CommandEvent) error

func (f funcAgent) OnRcptCommand(ctx context.Context, e *agent.CommandEvent) error { return f(ctx, e) }

func TestFailures(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	slow := funcAgent(func(ctx context.Context, _ *agent.CommandEvent) error {
		<-block // ignores its context, as a badly written agent would
		return nil
	})
	boom := funcAgent(func(context.Context, *agent.CommandEvent) error { panic("boom") })
	broken := funcAgent(func(context.Context, *agent.CommandEvent) error { return errors.New("database down") })
	reject := funcAgent(func(context.Context, *agent.CommandEvent) error {
		return agent.Reject(550, "5.1.1", "User unknown")
	})
	tests := []struct {
		name  string
		a     funcAgent
		opts  []agent.RegisterOption
		want  string // reply, "" for none
		after bool   // whether the next agent ran
	}{
		{"reject stops the chain", reject, nil, "550 5.1.1 User unknown", false},
		{"error fails closed", broken, nil, "451 4.7.0 Temporary server error. Please try again later", false},
		{"error fails open", broken, []agent.RegisterOption{agent.FailOpen()}, "", true},
		{"slow fails closed", slow, []agent.RegisterOption{agent.Timeout(time.Millisecond)}, "451 4.7.0 Temporary server error. Please try again later", false},
		{"slow fails open", slow, []agent.RegisterOption{agent.Timeout(time.Millisecond), agent.FailOpen()}, "", true},
		{"panic is 451 even fail-open", boom, []agent.RegisterOption{agent.FailOpen()}, "451 4.7.0 Temporary server error. Please try again later", false},
		{"panic without deadline", boom, []agent.RegisterOption{agent.Timeout(0)}, "451 4.7.0 Temporary server error. Please try again later", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			must(t, c.Register("under test", tt.a, tt.opts...))
			ran := false
			must(t, c.Register("next", funcAgent(func(context.Context, *agent.CommandEvent) error { ran = true; return nil })))
			r := c.Open(agent.Session{}).Rcpt(t.Context(), "u@contoso.com", nil)
			got := ""
			if r != nil {
				got = r.String()
			}
			if got != tt.want || ran != tt.after {
				t.Errorf("reply %q, next ran %v; want %q, %v", got, ran, tt.want, tt.after)
			}
			if tt.want != "" && strings.HasPrefix(tt.want, "451") && !strings.Contains(logs.String(), "under test") {
				t.Errorf("failure not logged: %q", logs.String())
			}
		})
	}
}

// editor makes edits at end of data.
type editor func(e *agent.MessageEvent)

func (f editor) OnEndOfData(_ context.Context, e *agent.MessageEvent) error { f(e); return nil }

func TestMessageEdits(t *testing.T) {
	c := agent.New(quiet())
	must(t, c.Register("stamp", editor(func(e *agent.MessageEvent) {
		e.InsertHeader(0, "Received-SPF", "pass")
		e.RemoveHeader("X-Bad")
		e.ChangeHeader("Subject", 1, "[spam] hi")
		e.SetSCL(6)
		e.DropRecipient("b@contoso.com", agent.Reject(550, "5.1.1", "gone"))
		e.RedirectRecipient("a@contoso.com", "c@contoso.com")
		e.AddRecipient("audit@contoso.com")
	})))
	var seen []agent.Field
	var body string
	must(t, c.Register("sees edits", editor(func(e *agent.MessageEvent) {
		seen = e.Header
		b, _ := io.ReadAll(e.Body)
		body = string(b)
	})))
	m := agent.NewMessage([]agent.Field{{"Subject", " hi"}, {"X-Bad", " 1"}, {"x-bad", " 2"}}, "a@contoso.com", "b@contoso.com")
	m.Body, m.BodySize = strings.NewReader("hello\r\n"), 7
	if r := c.Open(agent.Session{}).EndOfData(t.Context(), m); r != nil {
		t.Fatal(r)
	}
	want := []agent.Field{{"Received-SPF", " pass"}, {"Subject", " [spam] hi"}, {agent.SCLHeader, " 6"}}
	if !slices.Equal(m.Header, want) || !slices.Equal(seen, want) {
		t.Errorf("header %v (next agent saw %v), want %v", m.Header, seen, want)
	}
	if body != "hello\r\n" {
		t.Errorf("body %q", body)
	}
	if m.SCL != 6 {
		t.Errorf("SCL %d", m.SCL)
	}
	var to []string
	for _, r := range m.DeliverTo() {
		to = append(to, r.Address)
	}
	if want := []string{"c@contoso.com", "audit@contoso.com"}; !slices.Equal(to, want) {
		t.Errorf("DeliverTo %v, want %v", to, want)
	}
	if r := m.Recipients[1]; !r.Dropped || r.NDR == nil || r.NDR.Code != 550 {
		t.Errorf("dropped recipient %+v", r)
	}
}

func TestLateAgentEditsDiscarded(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	c := agent.New(quiet())
	must(t, c.Register("late", editor(func(e *agent.MessageEvent) {
		<-release
		e.AddHeader("X-Late", "1")
		close(finished)
	}), agent.Timeout(time.Millisecond)))
	m := agent.NewMessage([]agent.Field{{"Subject", " x"}})
	r := c.Open(agent.Session{}).EndOfData(t.Context(), m)
	if r == nil || r.Code != 451 {
		t.Fatalf("reply %v, want 451", r)
	}
	close(release)
	<-finished
	if len(m.Header) != 1 {
		t.Errorf("late edit applied: %v", m.Header)
	}
}

func TestDiscardAndQuarantine(t *testing.T) {
	c := agent.New(quiet())
	must(t, c.Register("quarantine", editor(func(e *agent.MessageEvent) { e.Quarantine("spam@contoso.com") })))
	m := agent.NewMessage(nil, "a@contoso.com")
	c.Open(agent.Session{}).EndOfData(t.Context(), m)
	if got := m.DeliverTo(); len(got) != 1 || got[0].Address != "spam@contoso.com" {
		t.Errorf("quarantined DeliverTo = %v", got)
	}
	ran := false
	must(t, c.Register("discard", editor(func(e *agent.MessageEvent) { e.Discard() }), agent.Priority(0)))
	must(t, c.Register("after", editor(func(*agent.MessageEvent) { ran = true })))
	m = agent.NewMessage(nil, "a@contoso.com")
	c.Open(agent.Session{}).EndOfData(t.Context(), m)
	if !m.Discard || m.DeliverTo() != nil || ran {
		t.Errorf("discard: %+v, later agent ran %v", m, ran)
	}
}

// stateful keeps state from MAIL to RCPT and checks the session view.
type stateful struct{ t *testing.T }

type flagKey struct{}

func (s stateful) OnMailCommand(_ context.Context, e *agent.CommandEvent) error {
	e.SetValue(flagKey{}, e.Arg)
	return nil
}

func (s stateful) OnRcptCommand(_ context.Context, e *agent.CommandEvent) error {
	if e.Value(flagKey{}) != e.Session.Sender || e.Session.HeloName != "mx.fabrikam.com" {
		return agent.Reject(550, "5.0.0", "lost state")
	}
	if len(e.Session.Recipients) > 0 {
		return agent.Reject(452, "4.5.3", "one recipient")
	}
	return nil
}

func TestSessionState(t *testing.T) {
	c := agent.New(quiet())
	must(t, c.Register("state", stateful{t}))
	k := c.Open(agent.Session{Remote: netip.MustParseAddrPort("192.0.2.1:4000")})
	ctx := t.Context()
	k.Ehlo(ctx, "mx.fabrikam.com")
	k.Mail(ctx, "s@fabrikam.com", nil)
	if r := k.Rcpt(ctx, "a@contoso.com", nil); r != nil {
		t.Fatal(r)
	}
	if r := k.Rcpt(ctx, "b@contoso.com", nil); r == nil || r.Code != 452 {
		t.Fatalf("second RCPT = %v", r)
	}
	k.Rset(ctx)
	if got := k.Session(); got.HasSender || got.Recipients != nil {
		t.Errorf("after RSET: %+v", got)
	}
}

// router is a routing agent.
type router struct{ fail bool }

func (r router) OnResolvedMessage(_ context.Context, e *agent.MessageEvent) error {
	if r.fail {
		return errors.New("directory down")
	}
	e.SetRoutingOverride("a@contoso.com", "smarthost.contoso.com")
	return nil
}

func TestRoutingEvents(t *testing.T) {
	c := agent.New(quiet())
	must(t, c.Register("router", router{}, agent.Connectors("ignored for routing")))
	if c.Open(agent.Session{}) != nil {
		t.Error("a chain of routing agents opened a receive Conn")
	}
	m := agent.NewMessage(nil, "a@contoso.com")
	must(t, c.Submitted(t.Context(), m))
	must(t, c.Resolved(t.Context(), m))
	if m.Recipients[0].NextHop != "smarthost.contoso.com" {
		t.Errorf("override %+v", m.Recipients[0])
	}
	c2 := agent.New(quiet())
	must(t, c2.Register("router", router{fail: true}))
	if err := c2.Resolved(t.Context(), m); !errors.Is(err, agent.ErrAgentFailed) {
		t.Errorf("failing routing agent: %v", err)
	}
}

// watcher records the refusals it is told about.
type watcher struct{ seen *[]string }

func (w watcher) OnRcptCommand(context.Context, *agent.CommandEvent) error { return nil }
func (w watcher) OnReject(_ context.Context, e *agent.CommandEvent) error {
	*w.seen = append(*w.seen, e.Arg+" "+e.Reply.String())
	return nil
}

func TestRefusalRaisesOnReject(t *testing.T) {
	var seen []string
	c := agent.New(quiet())
	must(t, c.Register("watcher", watcher{&seen}))
	must(t, c.Register("refuser", funcAgent(func(context.Context, *agent.CommandEvent) error {
		return agent.Reject(550, "5.1.1", "User unknown")
	})))
	k := c.Open(agent.Session{})
	k.Rcpt(t.Context(), "x@contoso.com", nil)
	k.Rejected(t.Context(), agent.Reply{Code: 503, Enhanced: "5.5.1", Text: "No valid recipients"})
	want := []string{"OnRcptCommand 550 5.1.1 User unknown", " 503 5.5.1 No valid recipients"}
	if !slices.Equal(seen, want) {
		t.Errorf("OnReject saw %q, want %q", seen, want)
	}
}

func TestSetEnabled(t *testing.T) {
	c := agent.New(quiet())
	must(t, c.Register("refuser", funcAgent(func(context.Context, *agent.CommandEvent) error {
		return agent.Reject(550, "5.7.1", "no")
	})))
	must(t, c.SetEnabled("Refuser", false))
	if k := c.Open(agent.Session{}); k != nil {
		t.Fatal("a chain whose only agent is disabled opened a Conn")
	}
	must(t, c.SetEnabled("refuser", true))
	if r := c.Open(agent.Session{}).Rcpt(t.Context(), "a@contoso.com", nil); r == nil {
		t.Fatal("re-enabled agent did not run")
	}
	if err := c.SetEnabled("nobody", true); !errors.Is(err, agent.ErrUnknownAgent) {
		t.Errorf("SetEnabled(unknown) = %v", err)
	}
}
