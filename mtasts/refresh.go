package mtasts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DefaultRefreshWindow is how recently a policy must have been used for
// Refresh to keep it fresh.
const DefaultRefreshWindow = 24 * time.Hour

// WithRefreshWindow sets how recently a Lookup must have returned a
// cached policy for Refresh to renew it. Default DefaultRefreshWindow;
// values <= 0 keep it.
func WithRefreshWindow(d time.Duration) Option {
	return func(cl *Client) {
		if d > 0 {
			cl.window = d
		}
	}
}

// Refresh renews the cached policies that deliveries used within the
// refresh window before they expire, so that a delivery seldom waits for
// a fetch and a policy stays in force while the policy host is briefly
// unreachable (RFC 8461 §5.1 asks senders to refresh cached policies
// proactively). A policy is due when less than a quarter of its max_age
// is left: Refresh reads its TXT record again and fetches it (a changed
// id before that is seen by Lookup, which reads the record every time).
// A failed fetch, or a TXT record that has gone, keeps the cached policy
// until it expires. Expired policies nobody used within the window are
// dropped. It returns the domains whose policy was fetched, sorted, and
// the failures, joined.
//
// Callers run it periodically, say every hour.
func (c *Client) Refresh(ctx context.Context) ([]string, error) {
	now := c.now()
	var due []string
	c.mu.Lock()
	for dom, e := range c.cache {
		switch {
		case now.Sub(e.used) > c.window:
			if !now.Before(e.expires) {
				delete(c.cache, dom)
			}
		case e.expires.Sub(now) < e.policy.MaxAge/4:
			due = append(due, dom)
		}
	}
	c.mu.Unlock()
	slices.Sort(due)
	var fetched []string
	var errs []error
	for _, dom := range due {
		ok, err := c.refresh(ctx, dom, now)
		if ok {
			fetched = append(fetched, dom)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return fetched, errors.Join(errs...)
}

// refresh renews one domain's policy, whose end is near, unless its
// record has gone; true when a policy was fetched.
func (c *Client) refresh(ctx context.Context, domain string, now time.Time) (bool, error) {
	c.mu.Lock()
	e, ok := c.cache[domain]
	c.mu.Unlock()
	if !ok {
		return false, nil
	}
	id, err := c.recordID(ctx, domain)
	if err != nil || id == "" {
		return false, err // RFC 8461 §5.1: a missing record does not remove the policy
	}
	p, err := c.fetch(ctx, domain)
	if err != nil {
		return false, fmt.Errorf("mtasts: refreshing the policy of %s: %w", domain, err)
	}
	p.ID = id
	c.mu.Lock()
	c.cache[domain] = entry{policy: p, expires: now.Add(p.MaxAge), used: e.used}
	c.mu.Unlock()
	return true, nil
}
