// Package contentfilter is the SCL action part of the Content Filter
// agent of an Edge transport: at end of data it takes the message's spam
// confidence level (0-9), set by an earlier agent such as a milter
// (rspamd) or computed by the Scorer given here, and deletes, rejects or
// quarantines the message at the configured thresholds
// (Set-ContentFilterConfig -SCLDeleteThreshold, -SCLRejectThreshold,
// -SCLQuarantineThreshold). Defaults follow the reference system: reject
// at SCL 7 and above, delete and quarantine (at 9) disabled. When several
// thresholds are reached, delete wins over reject, and reject over
// quarantine. Trusted sessions (authenticated, internal, allow-listed) get
// SCL -1 and are not filtered.
//
// Start with:
//
//	f, err := contentfilter.New(contentfilter.DefaultConfig())
//	err = chain.Register(contentfilter.Name, f, agent.Priority(contentfilter.Priority))
package contentfilter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/agent"
)

// Name and Priority are the agent's name and place among the built-in
// Edge agents.
const (
	Name     = "Content Filter Agent"
	Priority = 4
)

// DefaultRejectionResponse is the text of the reject action's 550.
const DefaultRejectionResponse = "Message rejected due to content restrictions"

// Scorer rates a message's spam confidence level 0-9 (a user's own
// content filter).
type Scorer interface {
	Score(ctx context.Context, e *agent.MessageEvent) (int, error)
}

// Config is the agent's configuration.
type Config struct {
	SCLDeleteEnabled       bool
	SCLDeleteThreshold     int
	SCLRejectEnabled       bool
	SCLRejectThreshold     int
	SCLQuarantineEnabled   bool
	SCLQuarantineThreshold int
	// QuarantineMailbox gets quarantined messages (required when
	// quarantine is enabled).
	QuarantineMailbox string
	RejectionResponse string
	// Scorer, if set, rates messages that no earlier agent rated.
	Scorer Scorer
	// BypassedRecipients and BypassedSenders are never filtered.
	BypassedRecipients, BypassedSenders []string
}

// DefaultConfig returns the reference system's defaults.
func DefaultConfig() Config {
	return Config{
		SCLDeleteThreshold: 9, SCLRejectEnabled: true, SCLRejectThreshold: 7,
		SCLQuarantineThreshold: 9, RejectionResponse: DefaultRejectionResponse,
	}
}

// Filter is the content filter's SCL action agent.
type Filter struct {
	cfg    Config
	reject *agent.Reply
}

var _ agent.EndOfDataAgent = (*Filter)(nil)

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("contentfilter: bad configuration")

// New checks cfg and returns the agent.
func New(cfg Config) (*Filter, error) {
	for _, th := range []int{cfg.SCLDeleteThreshold, cfg.SCLRejectThreshold, cfg.SCLQuarantineThreshold} {
		if th < 0 || th > 9 {
			return nil, fmt.Errorf("%w: threshold %d not in 0-9", ErrConfig, th)
		}
	}
	if cfg.SCLQuarantineEnabled && cfg.QuarantineMailbox == "" {
		return nil, fmt.Errorf("%w: quarantine enabled without a QuarantineMailbox", ErrConfig)
	}
	if strings.ContainsAny(cfg.RejectionResponse, "\r\n") || len(cfg.RejectionResponse) > 240 {
		return nil, fmt.Errorf("%w: RejectionResponse multi-line or longer than 240 characters", ErrConfig)
	}
	text := cfg.RejectionResponse
	if text == "" {
		text = DefaultRejectionResponse
	}
	return &Filter{cfg: cfg, reject: agent.Reject(550, "5.7.1", text)}, nil
}

// OnEndOfData rates the message if needed and acts on its SCL.
func (f *Filter) OnEndOfData(ctx context.Context, e *agent.MessageEvent) error {
	if e.Bypassed() {
		e.SetSCL(-1)
		return nil
	}
	if f.bypassed(e) {
		return nil
	}
	scl := e.SCL
	if scl == agent.NoSCL && f.cfg.Scorer != nil {
		n, err := f.cfg.Scorer.Score(ctx, e)
		if err != nil {
			return fmt.Errorf("contentfilter: scorer: %w", err)
		}
		scl = min(max(n, 0), 9)
		e.SetSCL(scl)
	}
	switch {
	case scl < 0:
		return nil
	case f.cfg.SCLDeleteEnabled && scl >= f.cfg.SCLDeleteThreshold:
		e.Discard()
	case f.cfg.SCLRejectEnabled && scl >= f.cfg.SCLRejectThreshold:
		return f.reject
	case f.cfg.SCLQuarantineEnabled && scl >= f.cfg.SCLQuarantineThreshold:
		e.Quarantine(f.cfg.QuarantineMailbox)
	}
	return nil
}

func (f *Filter) bypassed(e *agent.MessageEvent) bool {
	for _, s := range f.cfg.BypassedSenders {
		if strings.EqualFold(s, e.Session.Sender) {
			return true
		}
	}
	for _, r := range e.Recipients {
		for _, b := range f.cfg.BypassedRecipients {
			if strings.EqualFold(b, r.Address) {
				return true
			}
		}
	}
	return false
}
