package queuetest

import (
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewFakeClock(start)
	fired := make(chan string, 3)
	c.AfterFunc(2*time.Minute, func() { fired <- "2m" })
	stopped := c.AfterFunc(time.Minute, func() { fired <- "stopped" })
	c.AfterFunc(time.Hour, func() { fired <- "1h" })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop must report true once")
	}
	c.Advance(3 * time.Minute)
	if got := <-fired; got != "2m" {
		t.Fatalf("fired %q", got)
	}
	if c.Pending() != 1 || !c.Now().Equal(start.Add(3*time.Minute)) {
		t.Fatalf("pending %d, now %v", c.Pending(), c.Now())
	}
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(3 * time.Minute)) {
		t.Fatal("clock moved backwards")
	}
	c.AfterFunc(0, func() { fired <- "now" })
	if got := <-fired; got != "now" {
		t.Fatalf("fired %q", got)
	}
}
