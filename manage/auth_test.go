package manage_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// Every path, with every kind of bad credential, gets 401 and the same
// JSON error, nothing else (the Queue Viewer's pages: 401 and the login
// form, no data).
func TestUnauthenticated(t *testing.T) {
	f := newFixture(t, manage.WithMetrics(manage.NewMetrics(nil, nil)))
	paths := []string{"/api/Get-Queue", "/api/Get-Message", "/api/Export-Message?Identity=x", "/api/Get-MessageTrackingLog",
		"/api/Get-SendConnector", "/api/Nope", "/metrics", "/", "/queue?Identity=Submission", "/message", "/tracking", "/export"}
	auths := map[string]string{
		"none":         "",
		"wrong token":  "Bearer wrong-token-wrong-token",
		"prefix":       "Bearer " + testToken[:10],
		"longer":       "Bearer " + testToken + "x",
		"basic scheme": "Basic " + testToken,
		"no scheme":    testToken,
		"empty bearer": "Bearer ",
	}
	for name, auth := range auths {
		for _, p := range paths {
			for _, method := range []string{"GET", "POST"} {
				req, _ := http.NewRequest(method, f.srv.URL+p, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				viewer := !strings.HasPrefix(p, "/api/") && p != "/metrics"
				switch {
				case viewer && method == "POST" && resp.StatusCode == http.StatusMethodNotAllowed:
					// the page has no POST; nothing is shown either way
				case resp.StatusCode != http.StatusUnauthorized:
					t.Errorf("%s: %s %s: %d", name, method, p, resp.StatusCode)
				case !viewer && string(b) != "{\n  \"error\": \"authentication required: a bearer token or a client certificate\"\n}\n":
					t.Errorf("%s: %s %s: body %q", name, method, p, b)
				case viewer && (strings.Contains(string(b), "Submission") || !strings.Contains(string(b), `name="token"`)):
					t.Errorf("%s: %s %s: not the bare login form: %s", name, method, p, b)
				}
			}
		}
	}
	// The bearer scheme's name is case-insensitive.
	req, _ := http.NewRequest("GET", f.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: %d", resp.StatusCode)
	}
}

func TestNewNeedsAuth(t *testing.T) {
	if _, err := manage.New(); !errors.Is(err, manage.ErrNoAuth) {
		t.Errorf("New(): %v", err)
	}
	if _, err := manage.New(manage.WithToken("")); !errors.Is(err, manage.ErrNoAuth) {
		t.Errorf("New(WithToken(\"\")): %v", err)
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
		err     error
	}{
		{"ok", "  " + testToken + "\n", 0o600, testToken, nil},
		{"group readable", testToken, 0o640, "", manage.ErrWeakToken},
		{"world readable", testToken, 0o604, "", manage.ErrWeakToken},
		{"short", "short\n", 0o600, "", manage.ErrWeakToken},
		{"empty", "\n", 0o400, "", manage.ErrWeakToken},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		if err := os.WriteFile(p, []byte(tt.content), tt.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tt.mode); err != nil { // past the umask
			t.Fatal(err)
		}
		got, err := manage.ReadTokenFile(p)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if _, err := manage.ReadTokenFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A client certificate the listener verified authenticates; none, or one
// that authorize refuses, does not.
func TestClientCertificates(t *testing.T) {
	pki := smtptest.NewPKI(t)
	h, err := manage.New(manage.WithServerName("HubA"),
		manage.WithClientCertificates(func(c *x509.Certificate) bool { return c.Subject.CommonName == "admin" }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = pki.ServerTLSConfig("127.0.0.1") // verifies a client certificate if one is given
	srv.StartTLS()
	defer srv.Close()
	client := func(cn string) *http.Client {
		cfg := pki.ClientTLSConfig("127.0.0.1")
		if cn != "" {
			cfg.Certificates = []tls.Certificate{pki.ClientCertificate(cn)}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	for _, tt := range []struct {
		cn   string
		want int
	}{{"admin", 200}, {"intruder", 401}, {"", 401}} {
		resp, err := client(tt.cn).Get(srv.URL + "/api/Get-AcceptedDomain")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("certificate %q: %d, want %d", tt.cn, resp.StatusCode, tt.want)
		}
	}
}
