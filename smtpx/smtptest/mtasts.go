package smtptest

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// MTASTSHost is a domain's MTA-STS policy host (RFC 8461 §3.3): an HTTPS
// server on 127.0.0.1 answering GET /.well-known/mta-sts.txt for Host
// mta-sts.<domain> with the current policy as text/plain, its certificate
// issued by a PKI. Client returns an http.Client that reaches it for any
// address and trusts only that PKI, as a transport under test is given.
// Publish the TXT record yourself: TXT("_mta-sts.<domain>", "v=STSv1; id=1").
type MTASTSHost struct {
	srv    *httptest.Server
	host   string
	client *http.Client

	mu      sync.Mutex
	policy  string
	fetches int
}

// NewMTASTSHost serves policy for domain with a certificate for
// certNames (default mta-sts.<domain>) and stops at cleanup.
func NewMTASTSHost(t TB, pki *PKI, domain, policy string, certNames ...string) *MTASTSHost {
	t.Helper()
	h := &MTASTSHost{host: "mta-sts." + strings.TrimSuffix(strings.ToLower(domain), "."), policy: policy}
	if len(certNames) == 0 {
		certNames = []string{h.host}
	}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.TLS = pki.ServerTLSConfig(certNames...)
	h.srv.StartTLS()
	var nd net.Dialer
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pki.Pool(), MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return nd.DialContext(ctx, network, h.srv.Listener.Addr().String())
		},
	}
	h.client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		h.srv.Close()
	})
	return h
}

func (h *MTASTSHost) serve(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.fetches++
	policy := h.policy
	h.mu.Unlock()
	if r.URL.Path != "/.well-known/mta-sts.txt" || !strings.EqualFold(r.Host, h.host) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(policy))
}

// SetPolicy replaces the policy served.
func (h *MTASTSHost) SetPolicy(policy string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.policy = policy
}

// Fetches counts the requests served.
func (h *MTASTSHost) Fetches() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fetches
}

// Client returns the client to fetch policies with.
func (h *MTASTSHost) Client() *http.Client { return h.client }
