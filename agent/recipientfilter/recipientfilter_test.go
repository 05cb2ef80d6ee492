package recipientfilter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/recipientfilter"
	"github.com/hubedge/hubedge/routing"
)

// directory is a fixed set of mailboxes; "down@" makes it fail.
type directory map[string]bool

func (d directory) Lookup(_ context.Context, addr string) (bool, error) {
	if strings.HasPrefix(addr, "down@") {
		return false, errors.New("ldap: connection refused")
	}
	return d[strings.ToLower(addr)], nil
}

func TestFilter(t *testing.T) {
	domains, err := routing.NewAcceptedDomains([]routing.AcceptedDomain{
		{Domain: "contoso.com"},
		{Domain: "relay.contoso.com", Type: routing.InternalRelay},
	})
	if err != nil {
		t.Fatal(err)
	}
	var waited []time.Duration
	f, err := recipientfilter.New(recipientfilter.Config{
		BlockedRecipients:          []string{"Sales@contoso.com"},
		RecipientValidationEnabled: true,
		Directory:                  directory{"alice@contoso.com": true, "sales@contoso.com": true},
		AcceptedDomains:            domains,
		TarpitInterval:             5 * time.Second,
		Wait: func(_ context.Context, d time.Duration) error {
			waited = append(waited, d)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	chain := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := chain.Register(recipientfilter.Name, f); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rcpt    string
		session agent.Session
		want    string
		tarpit  bool
	}{
		{rcpt: "Alice@contoso.com"},
		{rcpt: "bob@contoso.com", want: "550 5.1.1 User unknown", tarpit: true},
		{rcpt: "sales@contoso.com", want: "550 5.1.1 User unknown", tarpit: true},
		{rcpt: "anyone@relay.contoso.com"},
		{rcpt: "someone@fabrikam.com"},
		{rcpt: "down@contoso.com", want: "451 4.7.0 Temporary server error. Please try again later"},
		{rcpt: "bob@contoso.com", session: agent.Session{AuthUser: "alice"}},
	}
	for _, tt := range tests {
		waited = nil
		got := ""
		if r := chain.Open(tt.session).Rcpt(t.Context(), tt.rcpt, nil); r != nil {
			got = r.String()
		}
		if got != tt.want || (len(waited) == 1) != tt.tarpit {
			t.Errorf("RCPT %s: %q (tarpit %v), want %q (tarpit %v)", tt.rcpt, got, waited, tt.want, tt.tarpit)
		}
	}
}

func TestNeedsDirectory(t *testing.T) {
	if _, err := recipientfilter.New(recipientfilter.Config{RecipientValidationEnabled: true}); err == nil {
		t.Fatal("validation without a directory accepted")
	}
}
