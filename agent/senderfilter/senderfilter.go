// Package senderfilter is the Sender Filtering agent of an Edge
// transport: it compares the MAIL FROM address, and the From and Sender
// header fields, with the blocked senders, domains and subdomains
// (Set-SenderFilterConfig -BlockedSenders, -BlockedDomains,
// -BlockedDomainsAndSubdomains), and optionally refuses the null sender.
// A match is answered "554 5.1.0 Sender Denied" (Action Reject, the
// default) or only stamped on the message (StampStatus) for the content
// filter to weigh. Only external, unauthenticated mail is judged unless
// InternalMailEnabled.
//
// Start with:
//
//	f := senderfilter.New(senderfilter.Config{BlockedDomainsAndSubdomains: []string{"spam.example"}})
//	err := chain.Register(senderfilter.Name, f, agent.Priority(senderfilter.Priority))
package senderfilter

import (
	"context"
	"strings"

	"github.com/hubedge/hubedge/agent"
)

// Name and Priority are the agent's name and place among the built-in
// Edge agents.
const (
	Name     = "Sender Filter Agent"
	Priority = 6
)

// StatusHeader is the field StampStatus adds to a message from a blocked
// sender; it is an organization header, so forged copies are removed at
// the edge like the SCL.
const StatusHeader = "X-MS-Exchange-Organization-SenderFilterStatus"

// Action is what the agent does with a blocked sender.
type Action uint8

// The actions of Set-SenderFilterConfig -Action.
const (
	Reject Action = iota
	StampStatus
)

// Config is the agent's configuration.
type Config struct {
	BlockedSenders []string // full addresses
	BlockedDomains []string // exact domains
	// BlockedDomainsAndSubdomains block a domain and every name under it;
	// a leading "*." is accepted and ignored.
	BlockedDomainsAndSubdomains []string
	BlankSenderBlockingEnabled  bool
	Action                      Action
	// InternalMailEnabled judges authenticated and internal sessions too.
	InternalMailEnabled bool
}

// Filter is the Sender Filtering agent.
type Filter struct {
	senders, domains, trees map[string]bool
	cfg                     Config
}

var (
	_ agent.MailAgent         = (*Filter)(nil)
	_ agent.EndOfHeadersAgent = (*Filter)(nil)
)

// New returns the agent for cfg.
func New(cfg Config) *Filter {
	f := &Filter{cfg: cfg, senders: set(cfg.BlockedSenders, ""), domains: set(cfg.BlockedDomains, ""), trees: set(cfg.BlockedDomainsAndSubdomains, "*.")}
	return f
}

func set(list []string, trim string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), trim)] = true
	}
	return m
}

// Blocked reports whether addr is a blocked sender. The null sender is
// blocked only with BlankSenderBlockingEnabled.
func (f *Filter) Blocked(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == "" {
		return f.cfg.BlankSenderBlockingEnabled
	}
	if f.senders[addr] {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	domain := strings.TrimSuffix(addr[at+1:], ".")
	if f.domains[domain] {
		return true
	}
	for d := domain; d != ""; {
		if f.trees[d] {
			return true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	return false
}

var denied = &agent.Reply{Code: 554, Enhanced: "5.1.0", Text: "Sender Denied", Disconnect: true}

type blockedKey struct{}

func (f *Filter) skip(bypassed bool) bool { return bypassed && !f.cfg.InternalMailEnabled }

// OnMailCommand judges the reverse path.
func (f *Filter) OnMailCommand(_ context.Context, e *agent.CommandEvent) error {
	if f.skip(e.Bypassed()) || !f.Blocked(e.Arg) {
		return nil
	}
	if f.cfg.Action == StampStatus {
		e.SetValue(blockedKey{}, e.Arg)
		return nil
	}
	return denied
}

// OnEndOfHeaders judges the From and Sender fields, and stamps a sender
// found blocked earlier.
func (f *Filter) OnEndOfHeaders(_ context.Context, e *agent.MessageEvent) error {
	if f.skip(e.Bypassed()) {
		return nil
	}
	who, _ := e.Value(blockedKey{}).(string)
	for _, name := range []string{"From", "Sender"} {
		if v, ok := agent.HeaderValue(e.Header, name); ok && who == "" {
			if addr := headerAddress(v); addr != "" && f.Blocked(addr) {
				who = addr
			}
		}
	}
	switch {
	case who == "":
		return nil
	case f.cfg.Action == Reject:
		return denied
	}
	e.SetHeader(StatusHeader, "Blocked sender "+who)
	return nil
}

// headerAddress takes the address out of a From-like field: the part in
// angle brackets, or the whole value.
func headerAddress(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	if strings.ContainsAny(v, " ,;") || !strings.Contains(v, "@") {
		return ""
	}
	return v
}
