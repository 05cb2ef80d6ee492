package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// redirectAgent sends at OnResolvedMessage what was addressed to from to to.
type redirectAgent struct{ from, to string }

func (a redirectAgent) OnResolvedMessage(_ context.Context, e *agent.MessageEvent) error {
	e.RedirectRecipient(a.from, a.to)
	return nil
}

// routingWatcher records the routing events it sees, each as its name
// and the recipients with their next hops.
type routingWatcher struct {
	mu   sync.Mutex
	seen []string
}

func (w *routingWatcher) note(ev string, e *agent.MessageEvent) {
	var rs []string
	for _, r := range e.Recipients {
		rs = append(rs, r.Address+"→"+r.NextHop)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, fmt.Sprintf("%s %s", ev, strings.Join(rs, ",")))
}

func (w *routingWatcher) OnSubmittedMessage(_ context.Context, e *agent.MessageEvent) error {
	w.note("OnSubmittedMessage", e)
	return nil
}

func (w *routingWatcher) OnRoutedMessage(_ context.Context, e *agent.MessageEvent) error {
	w.note("OnRoutedMessage", e)
	return nil
}

func (w *routingWatcher) OnCategorizedMessage(_ context.Context, e *agent.MessageEvent) error {
	w.note("OnCategorizedMessage", e)
	return nil
}

// Routing agents run in the categorizer on every queued message: one
// redirects a recipient at OnResolvedMessage, so the message is delivered
// to the new address; another sees the submitted, routed and categorized
// events in that order, the redirect and each recipient's next hop.
func TestRoutingAgents(t *testing.T) {
	w := &routingWatcher{}
	a, rec := edgeWith(t, func(chain *agent.Chain) error {
		if err := chain.Register("Redirect", redirectAgent{from: "bob@contoso.com", to: "carol@contoso.com"}, agent.Priority(0)); err != nil {
			return err
		}
		return chain.Register("Watcher", w, agent.Priority(1))
	})
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"}, smtptest.Step{"RCPT TO:<dave@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: routed"), "250 2.6.0"})
	d := rec.Wait(t)
	got := slices.Sorted(slices.Values(d.Rcpts))
	if want := []string{"carol@contoso.com", "dave@contoso.com"}; !slices.Equal(got, want) {
		t.Errorf("delivered to %v, want %v", got, want)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	want := []string{
		"OnSubmittedMessage bob@contoso.com→,dave@contoso.com→",
		"OnRoutedMessage carol@contoso.com→contoso.com,dave@contoso.com→contoso.com",
		"OnCategorizedMessage carol@contoso.com→contoso.com,dave@contoso.com→contoso.com",
	}
	if !slices.Equal(w.seen, want) {
		t.Errorf("routing events:\n%s\nwant:\n%s", strings.Join(w.seen, "\n"), strings.Join(want, "\n"))
	}
}

// policyAgent fails its first OnResolvedMessage, then drops drop with an
// NDR.
type policyAgent struct {
	drop  string
	calls atomic.Int32
}

func (a *policyAgent) OnResolvedMessage(_ context.Context, e *agent.MessageEvent) error {
	if a.calls.Add(1) == 1 {
		return errors.New("directory unavailable")
	}
	e.DropRecipient(a.drop, agent.Reject(550, "5.7.1", "Not allowed"))
	return nil
}

// A fail-closed routing agent that fails defers the message in the
// categorizer (nothing is lost); on the retry it drops a recipient with
// an NDR and the others are delivered.
func TestRoutingAgentDefersThenDropsWithNDR(t *testing.T) {
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	events := make(chan queue.Event, 64)
	trace := func(e transport.Event) {
		if e.Kind == transport.EventQueue {
			events <- *e.Queue
		}
	}
	next := func(typ queue.EventType) queue.Event {
		t.Helper()
		for {
			select {
			case e := <-events:
				if e.Type == typ {
					return e
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s event", typ)
			}
		}
	}
	p := &policyAgent{drop: "dave@contoso.com"}
	chain := agent.New(agent.WithLogger(quietLog()))
	if err := chain.Register("Policy", p); err != nil {
		t.Fatal(err)
	}
	tr, rec := startTransport(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithAgents(chain),
		transport.WithClock(clock), transport.WithTrace(trace))
	r, _ := smtptest.Dial(t, addr(t, tr, "From Internet"))
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"}, smtptest.Step{"RCPT TO:<dave@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: policy"), "250 2.6.0"})
	if e := next(queue.EventDefer); e.Source != "ROUTING" || len(e.Recipients) != 2 {
		t.Errorf("deferred %v by %s, want both recipients by ROUTING", e.Recipients, e.Source)
	}
	clock.Advance(10 * time.Minute)
	if e := next(queue.EventFail); !slices.Equal(e.Recipients, []string{"dave@contoso.com"}) || e.Result.String() != "550 5.7.1 Not allowed" {
		t.Errorf("failed %v with %v, want dave with the agent's NDR", e.Recipients, e.Result)
	}
	next(queue.EventDSN)
	if d := rec.Wait(t); !slices.Equal(d.Rcpts, []string{"bob@contoso.com"}) {
		t.Errorf("delivered to %v, want bob", d.Rcpts)
	}
}

// editAgent edits the message at OnResolvedMessage, OnRoutedMessage or
// OnCategorizedMessage, whichever of its functions is set.
type editAgent struct {
	submitted, resolved, routed, categorized func(e *agent.MessageEvent)
}

func (a editAgent) call(f func(e *agent.MessageEvent), e *agent.MessageEvent) error {
	if f != nil {
		f(e)
	}
	return nil
}

func (a editAgent) OnSubmittedMessage(_ context.Context, e *agent.MessageEvent) error {
	return a.call(a.submitted, e)
}

func (a editAgent) OnResolvedMessage(_ context.Context, e *agent.MessageEvent) error {
	return a.call(a.resolved, e)
}

func (a editAgent) OnRoutedMessage(_ context.Context, e *agent.MessageEvent) error {
	return a.call(a.routed, e)
}

func (a editAgent) OnCategorizedMessage(_ context.Context, e *agent.MessageEvent) error {
	return a.call(a.categorized, e)
}

// What routing agents do to a message decides where it goes: a routing
// override routes a recipient as if in another domain, a redirect after
// routing is routed again, header fields set (the SCL's too) are in
// the message delivered, and quarantine sends the message to the
// quarantine mailbox alone.
func TestRoutingAgentEdits(t *testing.T) {
	for _, c := range []struct {
		name  string
		agent editAgent
		want  []string // connector:recipients of the delivery
	}{
		{"override", editAgent{resolved: func(e *agent.MessageEvent) { e.SetRoutingOverride("bob@contoso.com", "fabrikam.com") }},
			[]string{"To Internet:bob@contoso.com"}},
		{"redirect after routing", editAgent{routed: func(e *agent.MessageEvent) { e.RedirectRecipient("bob@contoso.com", "bob@fabrikam.com") }},
			[]string{"To Internet:bob@fabrikam.com"}},
		{"quarantine", editAgent{categorized: func(e *agent.MessageEvent) { e.Quarantine("quarantine@contoso.com") }},
			[]string{":quarantine@contoso.com"}},
		{"header and SCL", editAgent{submitted: func(e *agent.MessageEvent) {
			e.SetHeader("X-Routing-Agent", "stamped")
			e.SetSCL(6)
		}}, []string{":bob@contoso.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			chain := agent.New(agent.WithLogger(quietLog()))
			if err := chain.Register("Edit", c.agent); err != nil {
				t.Fatal(err)
			}
			out := smtptest.SendConnector(t, "To Internet", connector.UsageInternet, "*")
			tr, rec := startTransport(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithSendConnector(out), transport.WithAgents(chain))
			r, _ := smtptest.Dial(t, addr(t, tr, "From Internet"))
			smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
				smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"}, smtptest.Step{"DATA:" + message("Subject: edited"), "250 2.6.0"})
			d := rec.Wait(t)
			if got := []string{d.Hop.Connector + ":" + strings.Join(d.Rcpts, ",")}; !slices.Equal(got, c.want) {
				t.Errorf("delivered %v, want %v", got, c.want)
			}
			if c.agent.submitted == nil {
				return
			}
			head, body, _ := strings.Cut(d.Body, "\r\n\r\n")
			for _, want := range []string{"\r\nX-Routing-Agent: stamped\r\n", "\r\nX-MS-Exchange-Organization-SCL: 6\r\n", "\r\nSubject: edited\r\n"} {
				if !strings.Contains(head+"\r\n", want) {
					t.Errorf("delivered header lacks %q:\n%s", want, head)
				}
			}
			if body != "Hello.\r\n" {
				t.Errorf("delivered body %q", body)
			}
		})
	}
}
