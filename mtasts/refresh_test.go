package mtasts_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mtasts"
)

func TestRefresh(t *testing.T) {
	const testing_ = "version: STSv1\nmode: testing\nmx: *.fabrikam.com\nmax_age: 86400\n"
	for _, tc := range []struct {
		name    string
		after   time.Duration // since the policy (max_age 1 day) was fetched and last used
		idle    bool          // the policy was not used within the window
		id      string        // the TXT record's id at refresh; "" removes the record
		serve   string        // the policy served at refresh
		fetched bool
		wantErr bool
		mode    mtasts.Mode // of the policy a Lookup then finds without fetching; "" for none
	}{
		{name: "fresh, same id", after: time.Hour, id: "1", serve: testing_, mode: mtasts.ModeEnforce},
		{name: "near expiry, same id", after: 19 * time.Hour, id: "1", serve: testing_, fetched: true, mode: mtasts.ModeTesting},
		{name: "near expiry, new id", after: 19 * time.Hour, id: "2", serve: testing_, fetched: true, mode: mtasts.ModeTesting},
		{name: "new id, far from expiry: left to Lookup", after: time.Hour, id: "2", serve: testing_, mode: mtasts.ModeEnforce},
		{name: "near expiry, fetch fails", after: 19 * time.Hour, id: "1", serve: "garbage", wantErr: true, mode: mtasts.ModeEnforce},
		{name: "near expiry, record gone", after: 19 * time.Hour, serve: testing_, mode: mtasts.ModeEnforce},
		{name: "not used recently", after: 19 * time.Hour, idle: true, id: "2", serve: testing_, mode: mtasts.ModeEnforce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "mta-sts.fabrikam.com")
			c, err := mtasts.New(w.lookupTXT, mtasts.WithHTTPClient(w.host.Client()), mtasts.WithClock(w.clock),
				mtasts.WithRefreshWindow(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			w.set("1", enforce)
			if res := c.Lookup(ctx, "fabrikam.com"); res.Policy == nil {
				t.Fatalf("first lookup: %+v", res)
			}
			if tc.idle {
				w.advance(tc.after)
			} else {
				w.advance(tc.after - time.Hour)
				c.Lookup(ctx, "fabrikam.com") // used an hour before the refresh
				w.advance(time.Hour)
			}
			w.set(tc.id, tc.serve)
			if tc.id == "" {
				w.mu.Lock()
				delete(w.txt, "_mta-sts.fabrikam.com")
				w.mu.Unlock()
			}
			w.mu.Lock()
			reads := w.reads
			w.mu.Unlock()
			domains, err := c.Refresh(ctx)
			if (err != nil) != tc.wantErr || tc.fetched != slices.Equal(domains, []string{"fabrikam.com"}) {
				t.Fatalf("Refresh = %q, %v; want fetched %v, error %v", domains, err, tc.fetched, tc.wantErr)
			}
			// Only a policy near its end costs a TXT query.
			w.mu.Lock()
			read := w.reads > reads
			w.mu.Unlock()
			if wantRead := !tc.idle && tc.after > 18*time.Hour; read != wantRead {
				t.Errorf("Refresh read the TXT record: %v, want %v", read, wantRead)
			}
			var fe *mtasts.FetchError
			if tc.wantErr && !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FetchError", err)
			}
			// Past the first policy's expiry: only a renewed policy is
			// still there, and it is served from the cache.
			fetches := w.host.Fetches()
			if tc.fetched {
				w.advance(24*time.Hour - tc.after + time.Minute)
				w.set(tc.id, "version: STSv1\nmode: none\nmax_age: 86400\n")
			} else {
				w.set("1", "version: STSv1\nmode: none\nmax_age: 86400\n")
			}
			res := c.Lookup(ctx, "fabrikam.com")
			if res.Policy == nil || res.Policy.Mode != tc.mode || !res.Cached || w.host.Fetches() != fetches {
				t.Errorf("then Lookup = %+v (fetches %d→%d), want mode %q from the cache", res, fetches, w.host.Fetches(), tc.mode)
			}
		})
	}
}
