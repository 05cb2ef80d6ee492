package smtpx

import (
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// The loop guard counts passes, not attempts: a message refused, or cut
// short, before it is queued does not move it towards the limit.
func TestLoopGuardCountsTransits(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	env := &queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
	other := &queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "carol@fabrikam.com"}}}
	var ident identity
	ident[0] = 42 // one Message-ID

	tests := []struct {
		name string
		run  func(g *loopGuard) bool // whether the last arrival is refused
		want bool
	}{
		{"limit passes then refused", func(g *loopGuard) bool {
			for range 3 {
				k, looped := g.looped(&ident, env, t0)
				if looped {
					return false
				}
				g.transit(k, t0)
			}
			_, looped := g.looped(&ident, env, t0)
			return looped
		}, true},
		{"attempts that never queued do not count", func(g *loopGuard) bool {
			for range 50 {
				if _, looped := g.looped(&ident, env, t0); looped {
					return true
				}
			}
			_, looped := g.looped(&ident, env, t0)
			return looped
		}, false},
		{"another envelope is another message", func(g *loopGuard) bool {
			for range 3 {
				k, _ := g.looped(&ident, env, t0)
				g.transit(k, t0)
			}
			_, looped := g.looped(&ident, other, t0)
			return looped
		}, false},
		{"passes are forgotten after the window", func(g *loopGuard) bool {
			for range 3 {
				k, _ := g.looped(&ident, env, t0)
				g.transit(k, t0)
			}
			_, looped := g.looped(&ident, env, t0.Add(loopWindow+time.Second))
			return looped
		}, false},
		{"off at limit 0", func(g *loopGuard) bool {
			g.limit = 0
			for range 3 {
				k, _ := g.looped(&ident, env, t0)
				g.transit(k, t0)
			}
			_, looped := g.looped(&ident, env, t0)
			return looped
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run(newLoopGuard(3)); got != tt.want {
				t.Errorf("refused = %v, want %v", got, tt.want)
			}
		})
	}
}
