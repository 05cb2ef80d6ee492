package mtasts

import (
	"context"
	"testing"
	"time"
)

// Expired policies nobody uses are forgotten, so the cache does not grow
// with every domain ever mailed; recently used ones stay.
func TestRefreshDropsIdleExpiredPolicies(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	noTXT := func(context.Context, string) ([]string, error) { return nil, nil }
	c, err := New(noTXT, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	p := &Policy{Mode: ModeEnforce, MaxAge: time.Hour, ID: "1"}
	c.cache["idle.example"] = entry{policy: p, expires: now.Add(-time.Minute), used: now.Add(-48 * time.Hour)}
	c.cache["busy.example"] = entry{policy: p, expires: now.Add(-time.Minute), used: now.Add(-time.Hour)}
	if _, err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.cache["idle.example"]; ok {
		t.Error("the idle expired policy was kept")
	}
	if _, ok := c.cache["busy.example"]; !ok {
		t.Error("the recently used policy was dropped")
	}
}
