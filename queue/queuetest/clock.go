// Package queuetest provides helpers for testing code built on package
// queue: FakeClock, a manually advanced clock that drives retries and
// expiry without sleeping; TestStore, the conformance suite a Store
// implementation runs from its own tests; and Enqueue, the durable-enqueue
// benchmark any store's queue runs the same way.
package queuetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// FakeClock is a queue.Clock whose time moves only when told to. Timers
// whose deadline is reached by Advance or Set fire in deadline order, each
// in its own goroutine, as time.AfterFunc would.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan struct{} // closed at the next AfterFunc (WaitTimer)
}

// NewFakeClock returns a clock stopped at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the current fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for d after the current fake time. A d ≤ 0 fires at
// once.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) queue.Timer {
	c.mu.Lock()
	t := &fakeTimer{c: c, when: c.now.Add(d), f: f}
	if d <= 0 {
		c.mu.Unlock()
		go f()
		return t
	}
	c.timers = append(c.timers, t)
	if c.armed != nil {
		close(c.armed)
		c.armed = nil
	}
	c.mu.Unlock()
	return t
}

// WaitTimer blocks until a timer due d after the current fake time is
// pending (code under test armed AfterFunc(d, ...) and the clock has not
// moved since), or ctx is done. A test uses it to know that the code is
// now waiting on the clock, before it advances it.
func (c *FakeClock) WaitTimer(ctx context.Context, d time.Duration) error {
	for {
		c.mu.Lock()
		want := c.now.Add(d)
		for _, t := range c.timers {
			if t.when.Equal(want) {
				c.mu.Unlock()
				return nil
			}
		}
		if c.armed == nil {
			c.armed = make(chan struct{})
		}
		armed := c.armed
		c.mu.Unlock()
		select {
		case <-armed:
		case <-ctx.Done():
			return fmt.Errorf("queuetest: no timer of %v armed: %w", d, ctx.Err())
		}
	}
}

// Advance moves the clock forward by d and fires the timers that fall due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	to := c.now.Add(d)
	c.mu.Unlock()
	c.Set(to)
}

// Set moves the clock to t (never backwards) and fires the timers that fall
// due.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	var due, rest []*fakeTimer
	for _, tm := range c.timers {
		if !tm.when.After(c.now) {
			due = append(due, tm)
		} else {
			rest = append(rest, tm)
		}
	}
	c.timers = rest
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].when.Before(due[j].when) })
	for _, tm := range due {
		go tm.f()
	}
}

// Pending returns the number of timers not yet fired or stopped.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	c    *FakeClock
	when time.Time
	f    func()
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, tm := range t.c.timers {
		if tm == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

var _ queue.Clock = (*FakeClock)(nil)
