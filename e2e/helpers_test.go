package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	serverName = "hub01.contoso.com"
	loopback   = "127.0.0.1:0"
	// tarpit is small so refusal batteries stay fast while the delay still
	// shows (the tests assert it is applied, not its production value).
	tarpit = 20 * time.Millisecond
)

var pki = smtptest.NewPKI(&smtptest.Standalone{})

var contoso = []routing.AcceptedDomain{{Domain: "contoso.com", Type: routing.Authoritative}}

func users() auth.Authenticator {
	return auth.NewStatic(map[string]string{"alice": "secret", "mallory": "hunter2"})
}

// startTransport starts a transport whose local and remote deliveries are
// recorded (so receive-side tests never touch the network beyond the client).
func startTransport(t testing.TB, opts ...transport.Option) (*transport.Transport, *smtptest.Recorder) {
	t.Helper()
	rec := smtptest.NewRecorder()
	base := []transport.Option{transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
		transport.WithLocalDelivery(rec), transport.WithDeliverer(rec)}
	return smtptest.NewTransport(t, append(base, opts...)...), rec
}

func addr(t testing.TB, tr *transport.Transport, name string) string {
	t.Helper()
	a := tr.Addr(name)
	if a == nil {
		t.Fatalf("connector %q does not listen", name)
	}
	return a.String()
}

// closeWait bounds how long a test waits for the server to close a
// connection (smtptest.Client.Closed: only EOF or a reset counts, silence
// does not; replies the server sends before closing are discarded).
const closeWait = 5 * time.Second

func plainAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func message(headers ...string) string {
	return strings.Join(headers, "\r\n") + "\r\n\r\nHello.\r\n"
}

// served proves the transport still serves another client: a full
// transaction on a fresh connection ends in 250 Queued.
func served(t *testing.T, addr string) {
	t.Helper()
	r, banner := smtptest.Dial(t, addr)
	if !strings.HasPrefix(banner, "220") {
		t.Fatalf("second client banner: %q", banner)
	}
	transact(t, r)
}

// transact runs a whole accepted transaction on a greeted connection.
func transact(t *testing.T, r *smtptest.Client) {
	t.Helper()
	smtptest.Expect(t, r, smtptest.Step{"EHLO other.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: other client"), "250 2.6.0 <"})
	r.Cmd("QUIT")
}

// eventsString prints trace events one per line, for a failure message.
func eventsString(evs []transport.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%+v\n", e)
	}
	return b.String()
}

// mechBasicTLS is a submission connector's authentication: STARTTLS, then
// AUTH PLAIN/LOGIN.
const mechBasicTLS = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
