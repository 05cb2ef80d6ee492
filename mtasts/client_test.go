package mtasts_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mtasts"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// world is a policy host for fabrikam.com on a local TLS server, its TXT
// record and a manual clock.
type world struct {
	mu      sync.Mutex
	txt     map[string][]string
	policy  string
	fetches atomic.Int32
	now     time.Time
	client  *mtasts.Client
}

func newWorld(t *testing.T, serverName string) *world {
	w := &world{txt: map[string][]string{}, now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	pki := smtptest.NewPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.fetches.Add(1)
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.fabrikam.com" {
			http.NotFound(rw, r)
			return
		}
		w.mu.Lock()
		body := w.policy
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write([]byte(body))
	}))
	srv.TLS = pki.ServerTLSConfig(serverName)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var nd net.Dialer
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pki.Pool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return nd.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := mtasts.New(w.lookupTXT, mtasts.WithHTTPClient(hc), mtasts.WithClock(w.clock))
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	return w
}

func (w *world) lookupTXT(_ context.Context, name string) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
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
	w.policy = policy
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
	if res := w.client.Lookup(ctx, "fabrikam.com"); !res.Cached || res.Policy.Mode != mtasts.ModeEnforce || w.fetches.Load() != 1 {
		t.Fatalf("within max_age: %+v, fetches %d", res, w.fetches.Load())
	}
	// Expired: fetched again.
	w.advance(time.Hour)
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Cached || res.Policy.Mode != mtasts.ModeTesting || w.fetches.Load() != 2 {
		t.Fatalf("after max_age: %+v, fetches %d", res, w.fetches.Load())
	}
	// A new id is fetched at once.
	w.set("2", "version: STSv1\nmode: none\nmax_age: 86400\n")
	if res := w.client.Lookup(ctx, "fabrikam.com"); res.Policy != nil || w.fetches.Load() != 3 {
		t.Fatalf("mode none: %+v, fetches %d", res, w.fetches.Load())
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
