package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
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

// internet is an Internet-usage receive connector on loopback (anonymous
// senders, contoso.com accepted by the transport).
func internet(t testing.TB, opts ...connector.ReceiveOption) *connector.ReceiveConnector {
	t.Helper()
	base := []connector.ReceiveOption{connector.WithUsage(connector.UsageInternet),
		connector.WithBindingList(loopback), connector.WithTarpitInterval(tarpit)}
	rc, err := connector.NewReceive("From Internet", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// recorder is a queue.Deliverer accepting everything, recording bodies.
type recorder struct{ ch chan string }

func newRecorder() *recorder { return &recorder{ch: make(chan string, 256)} }

func (r *recorder) Deliver(_ context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	rc, err := msg.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	res := make([]queue.Result, len(rcpts))
	for i := range res {
		res[i] = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "ok"}
	}
	r.ch <- string(b)
	return res, nil
}

func (r *recorder) wait(t *testing.T) string {
	t.Helper()
	select {
	case b := <-r.ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no message delivered")
		return ""
	}
}

// transport starts a transport whose local and remote deliveries are
// recorded (so receive-side tests never touch the network beyond the client).
func transport(t testing.TB, opts ...smtpx.Option) (*smtpx.Transport, *recorder) {
	t.Helper()
	rec := newRecorder()
	base := []smtpx.Option{smtpx.WithServerName(serverName), smtpx.WithAcceptedDomain(contoso...),
		smtpx.WithLocalDelivery(rec), smtpx.WithDeliverer(rec)}
	return smtptest.NewTransport(t, append(base, opts...)...), rec
}

func addr(t testing.TB, tr *smtpx.Transport, name string) string {
	t.Helper()
	a := tr.Addr(name)
	if a == nil {
		t.Fatalf("connector %q does not listen", name)
	}
	return a.String()
}

// raw is a line-level SMTP client asserting exact replies.
type raw struct {
	t    testing.TB
	conn net.Conn
	tp   *textproto.Conn
}

func dial(t testing.TB, addr string) (*raw, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := &raw{t: t, conn: c, tp: textproto.NewConn(c)}
	return r, r.reply()
}

// reply reads one reply as "code text" (lines joined by "\n") or "EOF".
func (r *raw) reply() string {
	code, msg, err := r.tp.ReadResponse(0)
	if err != nil {
		if _, ok := err.(*textproto.Error); !ok {
			return "EOF"
		}
	}
	return fmt.Sprintf("%d %s", code, msg)
}

func (r *raw) cmd(line string) string {
	if err := r.tp.PrintfLine("%s", line); err != nil {
		return "EOF"
	}
	return r.reply()
}

// write sends raw bytes and reads one reply.
func (r *raw) write(b string) string {
	if _, err := io.WriteString(r.tp.W, b); err != nil || r.tp.W.Flush() != nil {
		return "EOF"
	}
	return r.reply()
}

// data sends DATA and the dot-stuffed message, returning the final reply.
func (r *raw) data(msg string) string {
	if got := r.cmd("DATA"); !strings.HasPrefix(got, "354") {
		return got
	}
	w := r.tp.DotWriter()
	if _, err := io.WriteString(w, msg); err != nil {
		return "EOF"
	}
	if err := w.Close(); err != nil {
		return "EOF"
	}
	return r.reply()
}

func (r *raw) startTLS(cfg *tls.Config) {
	r.t.Helper()
	if got := r.cmd("STARTTLS"); !strings.HasPrefix(got, "220") {
		r.t.Fatalf("STARTTLS: %s", got)
	}
	tc := tls.Client(r.conn, cfg)
	if err := tc.Handshake(); err != nil {
		r.t.Fatal(err)
	}
	r.conn = tc
	r.tp = textproto.NewConn(tc)
}

// closed reports whether the server has closed the connection (reads EOF
// within 5 s; anything else, including more data, is "not closed").
func (r *raw) closed() bool {
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := bufio.NewReader(r.conn).ReadByte()
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// expect runs steps (command, wanted reply prefix) and reports mismatches.
func (r *raw) expect(steps ...[2]string) {
	r.t.Helper()
	for _, s := range steps {
		var got string
		if body, ok := strings.CutPrefix(s[0], "DATA:"); ok {
			got = r.data(body)
		} else {
			got = r.cmd(s[0])
		}
		if !strings.HasPrefix(got, s[1]) {
			r.t.Errorf("%s: got %q, want %q…", s[0], got, s[1])
		}
	}
}

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
	r, banner := dial(t, addr)
	if !strings.HasPrefix(banner, "220") {
		t.Fatalf("second client banner: %q", banner)
	}
	transact(t, r)
}

// transact runs a whole accepted transaction on a greeted connection.
func transact(t *testing.T, r *raw) {
	t.Helper()
	r.expect([2]string{"EHLO other.example", "250"}, [2]string{"MAIL FROM:<x@fabrikam.com>", "250"},
		[2]string{"RCPT TO:<bob@contoso.com>", "250"},
		[2]string{"DATA:" + message("Subject: other client"), "250 2.6.0 <"})
	r.cmd("QUIT")
}

// eventLog collects trace events.
type eventLog struct {
	mu sync.Mutex
	ev []smtpx.Event
}

func (l *eventLog) add(e smtpx.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.ev {
		fmt.Fprintf(&b, "%+v\n", e)
	}
	return b.String()
}

// mechBasicTLS is a submission connector's authentication: STARTTLS, then
// AUTH PLAIN/LOGIN.
const mechBasicTLS = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
