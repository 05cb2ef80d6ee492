//go:build interop

package interop_test

import (
	"context"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

const (
	hubName  = "hub01.contoso.example"
	user     = "alice"
	password = "Secr3t-alice"
)

var contoso = routing.AcceptedDomain{Domain: "contoso.example", Type: routing.Authoritative}

// testContext bounds a test's waits.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// anonymousRelay accepts any recipient from 127.0.0.1 without
// authentication: the application relay a test submits through.
func anonymousRelay(t *testing.T) *connector.ReceiveConnector {
	return smtptest.CustomConnector(t, "Relay", smtptest.AnonymousRelay)
}

// resolver queries the fake DNS only.
func resolver(t *testing.T, dns *mxtest.DNS) *mx.Resolver {
	t.Helper()
	r, err := mx.New(mx.WithServers(dns.Addr()), mx.WithTimeout(2*time.Second), mx.WithIPv6(false))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startTransport starts a hubedge transport for contoso.example.
func startTransport(t *testing.T, opts ...transport.Option) *transport.Transport {
	t.Helper()
	base := []transport.Option{transport.WithServerName(hubName), transport.WithAcceptedDomain(contoso)}
	return smtptest.NewTransport(t, append(base, opts...)...)
}

// users is the transport's account database.
func users() auth.Authenticator { return auth.NewStatic(map[string]string{user: password}) }

// dial opens an SMTP session with addr and says EHLO.
func dial(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("app.contoso.example"); err != nil {
		t.Fatal(err)
	}
	return c
}

// waitDelivery waits for an outbound delivery event of the trace ev
// records that satisfies ok.
func waitDelivery(t *testing.T, ev *smtptest.Events[transport.Event], ok func(deliver.Event) bool) deliver.Event {
	t.Helper()
	return *ev.Wait(t, func(e transport.Event) bool { return e.Delivery != nil && ok(*e.Delivery) }).Delivery
}

// swaksResult is one swaks run.
type swaksResult struct {
	code   int
	output string
}

// swaks runs swaks with args (plus --server/--port for addr and a
// timeout) and returns its exit code and transcript. It skips the test
// when swaks is not installed.
func swaks(ctx context.Context, t *testing.T, addr string, args ...string) swaksResult {
	t.Helper()
	bin, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("interop: swaks not installed")
	}
	host, port, _ := strings.Cut(addr, ":")
	all := append([]string{"--server", host, "--port", port, "--timeout", "20", "--ehlo", "client.contoso.example"}, args...)
	out, err := exec.CommandContext(ctx, bin, all...).CombinedOutput()
	res := swaksResult{output: string(out)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running swaks: %v", err)
	}
	t.Logf("swaks %s -> exit %d\n%s", strings.Join(args, " "), res.code, res.output)
	return res
}

// writeCA writes the PKI's root certificate as PEM for swaks.
func writeCA(t *testing.T, pki *smtptest.PKI) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pemCert(pki.CACert().Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
