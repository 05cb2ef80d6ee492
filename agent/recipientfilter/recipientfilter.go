// Package recipientfilter is the Recipient Filtering agent of an Edge
// transport: RCPT TO addresses on the Recipient Block list, and, with
// recipient validation, addresses of authoritative domains that the
// directory does not know, are answered "550 5.1.1 User unknown", after
// the tarpit interval if one is set (to slow directory harvesting).
// Relay domains (internal or external) are not validated: their mailboxes
// live elsewhere. Only external, unauthenticated mail is judged unless
// InternalMailEnabled.
//
// Start with:
//
//	f, err := recipientfilter.New(recipientfilter.Config{
//		RecipientValidationEnabled: true, Directory: dir, AcceptedDomains: domains,
//	})
//	err = chain.Register(recipientfilter.Name, f, agent.Priority(recipientfilter.Priority))
package recipientfilter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/routing"
)

// Name and Priority are the agent's name and place among the built-in
// Edge agents.
const (
	Name     = "Recipient Filter Agent"
	Priority = 7
)

// Directory answers whether a mailbox exists (the same method as
// smtpx/local's Directory, so its directories fit).
type Directory interface {
	Lookup(ctx context.Context, addr string) (bool, error)
}

// Config is the agent's configuration (Set-RecipientFilterConfig).
type Config struct {
	// BlockedRecipients are refused whatever the directory says.
	BlockedRecipients []string
	// RecipientValidationEnabled refuses recipients of Authoritative
	// accepted domains that Directory does not have.
	RecipientValidationEnabled bool
	Directory                  Directory
	AcceptedDomains            *routing.AcceptedDomains
	// TarpitInterval delays each refusal.
	TarpitInterval time.Duration
	// Wait sleeps d or until ctx ends; a timer by default (tests inject
	// their own).
	Wait                func(ctx context.Context, d time.Duration) error
	InternalMailEnabled bool
}

// Filter is the Recipient Filtering agent.
type Filter struct {
	cfg     Config
	blocked map[string]bool
}

var _ agent.RcptAgent = (*Filter)(nil)

// New checks cfg and returns the agent.
func New(cfg Config) (*Filter, error) {
	if cfg.RecipientValidationEnabled && (cfg.Directory == nil || cfg.AcceptedDomains == nil) {
		return nil, errors.New("recipientfilter: recipient validation needs a Directory and AcceptedDomains")
	}
	if cfg.Wait == nil {
		cfg.Wait = wait
	}
	f := &Filter{cfg: cfg, blocked: map[string]bool{}}
	for _, r := range cfg.BlockedRecipients {
		f.blocked[strings.ToLower(strings.TrimSpace(r))] = true
	}
	return f, nil
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var unknown = agent.Reject(550, "5.1.1", "User unknown")

// OnRcptCommand refuses blocked and unknown recipients.
func (f *Filter) OnRcptCommand(ctx context.Context, e *agent.CommandEvent) error {
	if e.Bypassed() && !f.cfg.InternalMailEnabled {
		return nil
	}
	refuse, err := f.refuse(ctx, e.Arg)
	if err != nil || !refuse {
		return err
	}
	if f.cfg.TarpitInterval > 0 {
		if err := f.cfg.Wait(ctx, f.cfg.TarpitInterval); err != nil {
			return err
		}
	}
	return unknown
}

func (f *Filter) refuse(ctx context.Context, addr string) (bool, error) {
	if f.blocked[strings.ToLower(addr)] {
		return true, nil
	}
	if !f.cfg.RecipientValidationEnabled {
		return false, nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false, nil
	}
	d, ok := f.cfg.AcceptedDomains.Match(addr[at+1:])
	if !ok || d.Type != routing.Authoritative {
		return false, nil
	}
	found, err := f.cfg.Directory.Lookup(ctx, addr)
	if err != nil {
		// A directory that cannot answer defers the recipient (fail
		// closed) rather than accept mail for nobody.
		return false, fmt.Errorf("recipientfilter: directory: %w", err)
	}
	return !found, nil
}
