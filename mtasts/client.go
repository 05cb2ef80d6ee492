package mtasts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxPolicySize bounds the policy body read: RFC 8461 §3.3 lets clients
// refuse anything larger than 64 KiB.
const maxPolicySize = 64 << 10

// TXTLookup returns the TXT records of a name (mx.Resolver.LookupTXT):
// nil without error when there are none.
type TXTLookup func(ctx context.Context, name string) ([]string, error)

// Failure kinds, named as TLS-RPT's result types (RFC 8460 §4.3.2.2).
const (
	FailFetch   = "sts-policy-fetch-error" // TXT or HTTPS failed
	FailInvalid = "sts-policy-invalid"     // the policy did not parse
	FailWebPKI  = "sts-webpki-invalid"     // the policy host's certificate did not validate
)

// FetchError reports why no usable policy could be obtained.
type FetchError struct {
	Domain string
	Kind   string // FailFetch, FailInvalid or FailWebPKI
	Err    error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("MTA-STS: %s for %s: %v", e.Kind, e.Domain, e.Err)
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Result is what Lookup found for a domain.
type Result struct {
	// Policy is the policy in force, nil when there is none (or its mode
	// is none).
	Policy *Policy
	// Cached reports that Policy came from the cache without a fetch.
	Cached bool
	// Err says why a policy could not be fetched or refreshed, for TLS-RPT
	// (a *FetchError); Policy may still be set from the cache.
	Err error
}

// Option configures New.
type Option func(*Client)

// WithHTTPClient sets the client policies are fetched with. Its transport
// must validate certificates; redirects are never followed (RFC 8461
// §3.3), whatever its CheckRedirect says. Default: a client with
// http.DefaultTransport and a 1-minute timeout.
func WithHTTPClient(c *http.Client) Option {
	return func(cl *Client) {
		if c != nil {
			cl.http = c
		}
	}
}

// WithClock sets the time source of cache expiry; tests inject theirs.
// Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(cl *Client) {
		if now != nil {
			cl.now = now
		}
	}
}

// Client looks policies up and caches them. It is safe for concurrent use.
type Client struct {
	txt  TXTLookup
	http *http.Client
	now  func() time.Time

	window time.Duration // WithRefreshWindow

	mu      sync.Mutex
	cache   map[string]entry
	flights map[string]*flight // policy fetches under way, by domain
}

// flight is one policy fetch that concurrent lookups share.
type flight struct {
	done chan struct{}
	p    *Policy
	err  error
}

type entry struct {
	policy  *Policy
	expires time.Time
	used    time.Time // the last Lookup that returned it, for Refresh
}

// New builds a Client that reads TXT records with txt.
func New(txt TXTLookup, opts ...Option) (*Client, error) {
	if txt == nil {
		return nil, errors.New("mtasts: no TXT lookup")
	}
	c := &Client{txt: txt, http: &http.Client{Timeout: time.Minute}, now: time.Now, cache: map[string]entry{},
		flights: map[string]*flight{}, window: DefaultRefreshWindow}
	for _, o := range opts {
		o(c)
	}
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &noRedirect
	return c, nil
}

// Lookup returns the policy in force for domain (lower case, A-labels).
func (c *Client) Lookup(ctx context.Context, domain string) Result {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	now := c.now()
	c.mu.Lock()
	cached, ok := c.cache[domain]
	if ok && now.Before(cached.expires) {
		cached.used = now
		c.cache[domain] = cached
	} else {
		ok = false
	}
	c.mu.Unlock()
	id, txtErr := c.recordID(ctx, domain)
	switch {
	case txtErr != nil && ok: // RFC 8461 §5.1: keep using the cached policy
		return result(cached.policy, true, nil)
	case txtErr != nil:
		return Result{Err: txtErr}
	case id == "" && ok:
		return result(cached.policy, true, nil)
	case id == "":
		return Result{}
	case ok && cached.policy.ID == id:
		return result(cached.policy, true, nil)
	}
	p, err := c.fetchShared(ctx, domain, id, now)
	if err != nil {
		if ok {
			return result(cached.policy, true, err)
		}
		return Result{Err: err}
	}
	return result(p, false, nil)
}

// fetchShared fetches domain's policy of id and caches it. Lookups that
// want it while a fetch is under way wait for that one, and one that
// comes once it is cached takes it from the cache: a cold cache under
// load would otherwise fetch the policy once per delivery at the same
// moment.
func (c *Client) fetchShared(ctx context.Context, domain, id string, now time.Time) (*Policy, error) {
	c.mu.Lock()
	if e, ok := c.cache[domain]; ok && now.Before(e.expires) && e.policy.ID == id {
		c.mu.Unlock()
		return e.policy, nil
	}
	if f := c.flights[domain]; f != nil {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.p, f.err
		case <-ctx.Done():
			return nil, &FetchError{Domain: domain, Kind: FailFetch, Err: ctx.Err()}
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[domain] = f
	c.mu.Unlock()
	f.p, f.err = c.fetch(ctx, domain)
	c.mu.Lock()
	if f.err == nil {
		f.p.ID = id
		c.cache[domain] = entry{policy: f.p, expires: now.Add(f.p.MaxAge), used: now}
	}
	delete(c.flights, domain)
	c.mu.Unlock()
	close(f.done)
	return f.p, f.err
}

func result(p *Policy, cached bool, err error) Result {
	if p.Mode == ModeNone {
		p = nil
	}
	return Result{Policy: p, Cached: cached, Err: err}
}

// recordID returns the id of the domain's single valid STS record, ""
// when there is none (no record, several, or a malformed one: RFC 8461
// §3.1 says to treat those as absent).
func (c *Client) recordID(ctx context.Context, domain string) (string, error) {
	txts, err := c.txt(ctx, "_mta-sts."+domain)
	if err != nil {
		return "", &FetchError{Domain: domain, Kind: FailFetch, Err: err}
	}
	var ids []string
	for _, t := range txts {
		if !strings.HasPrefix(t, "v=STSv1") {
			continue
		}
		id, err := ParseRecord(t)
		if err != nil {
			return "", nil
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 {
		return "", nil
	}
	return ids[0], nil
}

// fetch gets https://mta-sts.<domain>/.well-known/mta-sts.txt.
func (c *Client) fetch(ctx context.Context, domain string) (*Policy, error) {
	fail := func(kind string, err error) (*Policy, error) {
		return nil, &FetchError{Domain: domain, Kind: kind, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://mta-sts."+domain+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return fail(FailFetch, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if isCertError(err) {
			return fail(FailWebPKI, err)
		}
		return fail(FailFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(FailFetch, fmt.Errorf("HTTP status %s", resp.Status))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return fail(FailInvalid, fmt.Errorf("content type %q, want text/plain", resp.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicySize+1))
	if err != nil {
		return fail(FailFetch, err)
	}
	if len(body) > maxPolicySize {
		return fail(FailInvalid, fmt.Errorf("policy larger than %d bytes", maxPolicySize))
	}
	p, err := ParsePolicy(body)
	if err != nil {
		return fail(FailInvalid, err)
	}
	return p, nil
}
