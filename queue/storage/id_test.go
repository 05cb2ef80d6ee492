package storage

import (
	"testing"
	"time"
)

func TestIDOrderAndShape(t *testing.T) {
	var g IDGenerator
	now := time.Unix(1700000000, 0)
	prev := g.Next(now)
	for i := range 10000 {
		at := now
		if i%3 == 0 {
			at = now.Add(-time.Second) // a clock stepping back must not reorder
		}
		id := g.Next(at)
		if id <= prev || !id.Valid() {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
	if got := g.Next(now.Add(time.Hour)).Time(); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("Time() = %v", got)
	}
}
