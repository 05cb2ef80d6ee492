package contentfilter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
)

// rate is a user agent that sets an SCL earlier in the chain.
type rate int

func (r rate) OnEndOfData(_ context.Context, e *agent.MessageEvent) error {
	e.SetSCL(int(r))
	return nil
}

// scorer is a user Scorer.
type scorer struct {
	n   int
	err error
}

func (s scorer) Score(context.Context, *agent.MessageEvent) (int, error) { return s.n, s.err }

func TestThresholds(t *testing.T) {
	quarantine := func(c *contentfilter.Config) {
		c.SCLQuarantineEnabled, c.SCLQuarantineThreshold, c.QuarantineMailbox = true, 5, "spam@contoso.com"
	}
	deleteAt8 := func(c *contentfilter.Config) { c.SCLDeleteEnabled, c.SCLDeleteThreshold = true, 8 }
	tests := []struct {
		name       string
		scl        int // -9: no rating agent
		scorer     contentfilter.Scorer
		cfg        func(*contentfilter.Config)
		session    agent.Session
		want       string
		quarantine bool
		discard    bool
		wantSCL    int
	}{
		{name: "clean", scl: 1, wantSCL: 1},
		{name: "below reject", scl: 6, wantSCL: 6},
		{name: "reject at 7", scl: 7, want: "550 5.7.1 Message rejected due to content restrictions", wantSCL: 7},
		{name: "delete disabled by default", scl: 9, want: "550 5.7.1 Message rejected due to content restrictions", wantSCL: 9},
		{name: "delete wins", scl: 9, cfg: deleteAt8, discard: true, wantSCL: 9},
		{name: "reject wins over quarantine", scl: 7, cfg: quarantine, want: "550 5.7.1 Message rejected due to content restrictions", wantSCL: 7},
		{name: "quarantine", scl: 5, cfg: quarantine, quarantine: true, wantSCL: 5},
		{name: "scorer", scl: -9, scorer: scorer{n: 8}, want: "550 5.7.1 Message rejected due to content restrictions", wantSCL: 8},
		{name: "scorer clamps", scl: -9, scorer: scorer{n: 42}, cfg: deleteAt8, discard: true, wantSCL: 9},
		{name: "scorer fails closed", scl: -9, scorer: scorer{err: errors.New("down")}, want: "451 4.7.0 Temporary server error. Please try again later", wantSCL: agent.NoSCL},
		{name: "unrated", scl: -9, wantSCL: agent.NoSCL},
		{name: "authenticated is trusted", scl: -9, session: agent.Session{AuthUser: "alice"}, wantSCL: -1},
		{name: "bypassed recipient", scl: 9, cfg: func(c *contentfilter.Config) { c.BypassedRecipients = []string{"abuse@contoso.com"} }, wantSCL: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := contentfilter.DefaultConfig()
			cfg.Scorer = tt.scorer
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			f, err := contentfilter.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			chain := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			if tt.scl != -9 {
				if err := chain.Register("rater", rate(tt.scl)); err != nil {
					t.Fatal(err)
				}
			}
			if err := chain.Register(contentfilter.Name, f); err != nil {
				t.Fatal(err)
			}
			m := agent.NewMessage(nil, "abuse@contoso.com")
			got := ""
			if r := chain.Open(tt.session).EndOfData(t.Context(), m); r != nil {
				got = r.String()
			}
			if got != tt.want || m.Discard != tt.discard || (m.Quarantine != "") != tt.quarantine || m.SCL != tt.wantSCL {
				t.Errorf("reply %q discard %v quarantine %q SCL %d; want %q %v %v %d", got, m.Discard, m.Quarantine, m.SCL, tt.want, tt.discard, tt.quarantine, tt.wantSCL)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]contentfilter.Config{
		"threshold":          {SCLRejectThreshold: 10},
		"quarantine mailbox": {SCLQuarantineEnabled: true},
		"two-line text":      {RejectionResponse: "a\nb"},
	} {
		if _, err := contentfilter.New(cfg); !errors.Is(err, contentfilter.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
