package mtasts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mtasts"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// world is fabrikam.com's policy host, its TXT record and a manual clock.
type world struct {
	host   *smtptest.MTASTSHost
	mu     sync.Mutex
	txt    map[string][]string
	reads  int // TXT lookups
	now    time.Time
	client *mtasts.Client
}

func newWorld(t *testing.T, certName string) *world {
	w := &world{txt: map[string][]string{}, now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	w.host = smtptest.NewMTASTSHost(t, smtptest.NewPKI(t), "fabrikam.com", "", certName)
	c, err := mtasts.New(w.lookupTXT, mtasts.WithHTTPClient(w.host.Client()), mtasts.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	return w
}

func (w *world) lookupTXT(_ context.Context, name string) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads++
	return w.txt[name], nil
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) set(id, policy string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.txt["_mta-sts.fabrikam.com"] = []string{"v=STSv1; id=" + id}
	w.host.SetPolicy(policy)
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
}

const enforce = "version: STSv1\nmode: enforce\nmx: *.fabrikam.com\nmax_age: 86400\n"

func TestLookupCache(t *testing.T) {
	w := newWorld(t, "mta-sts.fabrikam.com")
	ctx := context.Background()
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Policy != nil || res.Err != nil {
		t.Fatalf("no record: %+v", res)
	}
	w.set("1", enforce)
	res := w.client.Lookup(ctx, "fabrikam.com")
	if res.Err != nil || res.Policy == nil || res.Policy.Mode != mtasts.ModeEnforce || res.Cached || !res.Policy.Match("mx1.fabrikam.com") {
		t.Fatalf("first lookup: %+v", res)
	}
	// Same id within max_age: cached, even when the host changed its file.
	w.set("1", "version: STSv1\nmode: testing\nmx: *.fabrikam.com\nmax_age: 86400\n")
	w.advance(23 * time.Hour)
	if res := w.client.Lookup(ctx, "fabrikam.com"); !res.Cached || res.Policy.Mode != mtasts.ModeEnforce || w.host.Fetches() != 1 {
		t.Fatalf("within max_age: %+v, fetches %d", res, w.host.Fetches())
	}
	// Expired: fetched again.
	w.advance(time.Hour)
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Cached || res.Policy.Mode != mtasts.ModeTesting || w.host.Fetches() != 2 {
		t.Fatalf("after max_age: %+v, fetches %d", res, w.host.Fetches())
	}
	// A new id is fetched at once.
	w.set("2", "version: STSv1\nmode: none\nmax_age: 86400\n")
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Policy != nil || w.host.Fetches() != 3 {
		t.Fatalf("mode none: %+v, fetches %d", res, w.host.Fetches())
	}
}

// Lookups of a domain whose policy is not cached yet, all at once (the
// first deliveries after a start), share one fetch of the policy.
func TestConcurrentLookupsShareOneFetch(t *testing.T) {
	w := newWorld(t, "mta-sts.fabrikam.com")
	w.set("1", enforce)
	const n = 10
	// Every lookup has found the cache empty once all n have asked for the
	// TXT record, which each does right after looking at the cache.
	var arrived sync.WaitGroup
	arrived.Add(n)
	txt := func(ctx context.Context, name string) ([]string, error) {
		arrived.Done()
		arrived.Wait()
		return w.lookupTXT(ctx, name)
	}
	c, err := mtasts.New(txt, mtasts.WithHTTPClient(w.host.Client()), mtasts.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if res := c.Lookup(context.Background(), "fabrikam.com"); res.Err != nil || res.Policy == nil || res.Policy.ID != "1" {
				t.Errorf("lookup: %+v", res)
			}
		})
	}
	wg.Wait()
	if f := w.host.Fetches(); f != 1 {
		t.Errorf("%d lookups at once fetched the policy %d times, want once", n, f)
	}
}

func TestLookupKeepsCachedPolicyWhenRefreshFails(t *testing.T) {
	w := newWorld(t, "mta-sts.fabrikam.com")
	ctx := context.Background()
	w.set("1", enforce)
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Policy == nil {
		t.Fatalf("first lookup: %+v", res)
	}
	w.set("2", "garbage")
	res := w.client.Lookup(ctx, "fabrikam.com")
	var fe *mtasts.FetchError
	if res.Policy == nil || res.Policy.Mode != mtasts.ModeEnforce || !errors.As(res.Err, &fe) || fe.Kind != mtasts.FailInvalid {
		t.Fatalf("refresh with a bad policy: %+v", res)
	}
	w.advance(25 * time.Hour)
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Policy != nil || !errors.As(res.Err, &fe) {
		t.Fatalf("expired and unrefreshable: %+v", res)
	}
}

func TestLookupWebPKI(t *testing.T) {
	w := newWorld(t, "www.fabrikam.com") // certificate for the wrong name
	w.set("1", enforce)
	res := w.client.Lookup(context.Background(), "fabrikam.com")
	var fe *mtasts.FetchError
	if res.Policy != nil || !errors.As(res.Err, &fe) || fe.Kind != mtasts.FailWebPKI {
		t.Fatalf("%+v", res)
	}
}
