package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/smtpx/smtptest"
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
	expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
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
