package local

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/queue"
)

// lmtpServer is an in-test mailbox server speaking LMTP through go-smtp,
// answering per recipient after DATA (smtp.LMTPSession).
type lmtpServer struct {
	mailErr error
	rcptErr map[string]error // refused at RCPT
	dataErr map[string]error // refused after DATA
	// hold, when set, makes LMTPData wait for it to close after reading
	// the body; entered is closed when LMTPData starts waiting.
	hold, entered chan struct{}

	mu  sync.Mutex
	got []lmtpMessage
}

type lmtpMessage struct {
	from  string
	rcpts []string
	body  string
}

func (s *lmtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &lmtpSession{srv: s}, nil }

func (s *lmtpServer) messages() []lmtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]lmtpMessage(nil), s.got...)
}

type lmtpSession struct {
	srv   *lmtpServer
	from  string
	rcpts []string
}

var _ smtp.LMTPSession = (*lmtpSession)(nil)

func (s *lmtpSession) Reset()        { s.from, s.rcpts = "", nil }
func (s *lmtpSession) Logout() error { return nil }

func (s *lmtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return s.srv.mailErr
}

func (s *lmtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.srv.rcptErr[to]; err != nil {
		return err
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *lmtpSession) Data(io.Reader) error { return errors.New("test: LMTPData expected") }

func (s *lmtpSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.hold != nil {
		close(s.srv.entered)
		<-s.srv.hold
	}
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, lmtpMessage{s.from, s.rcpts, string(b)})
	s.srv.mu.Unlock()
	for _, rc := range s.rcpts {
		status.SetStatus(rc, s.srv.dataErr[rc])
	}
	return nil
}

// start serves srv on network ("unix" or "tcp") and returns the address.
func (s *lmtpServer) start(t *testing.T, network string) string {
	t.Helper()
	var l net.Listener
	var err error
	switch network {
	case "unix":
		dir := t.TempDir()
		if len(dir) > 80 { // sun_path holds ~104 bytes
			dir, err = os.MkdirTemp("", "lmtp")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
		}
		l, err = net.Listen("unix", filepath.Join(dir, "lmtp.sock"))
	default:
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(s)
	srv.LMTP = true
	srv.Domain = "mbx01.contoso.com"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	if s.hold != nil {
		// Registered after the server's cleanup, so it runs first and frees
		// a held session before the server waits for it.
		t.Cleanup(func() { close(s.hold) })
	}
	return l.Addr().String()
}

func newTestLMTP(t *testing.T, network, addr string, opts ...LMTPOption) *LMTP {
	t.Helper()
	l, err := NewLMTP(network, addr, append([]LMTPOption{WithLocalName("hub01.contoso.com")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLMTPDeliver(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			srv := &lmtpServer{
				rcptErr: map[string]error{"nobody@contoso.com": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}},
				dataErr: map[string]error{"full@contoso.com": &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}},
			}
			l := newTestLMTP(t, network, srv.start(t, network))
			rcpts := rcptList("bob@contoso.com", "nobody@contoso.com", "full@contoso.com", "bob@contoso.com", "carol@contoso.com")
			res, err := l.deliver(t.Context(), &queue.Envelope{From: "alice@fabrikam.com", Size: int64(len(crlfBody))}, body(crlfBody), rcpts)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"250 2.0.0 <bob@contoso.com> OK: queued",
				"550 5.1.1 User unknown",
				"452 4.2.2 <full@contoso.com> Mailbox full",
				"250 2.0.0 <bob@contoso.com> OK: queued",
				"250 2.0.0 <carol@contoso.com> OK: queued",
			}
			if got := resultStrings(res); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("results:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			wantMTA := map[string]string{"unix": "", "tcp": "127.0.0.1"}[network]
			for _, r := range res {
				if r.RemoteMTA != wantMTA {
					t.Errorf("RemoteMTA = %q, want %q", r.RemoteMTA, wantMTA)
				}
			}
			msgs := srv.messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			m := msgs[0]
			if m.from != "alice@fabrikam.com" || strings.Join(m.rcpts, ",") != "bob@contoso.com,full@contoso.com,carol@contoso.com" || m.body != crlfBody {
				t.Errorf("server got %+v", m)
			}
		})
	}
}

func TestLMTPRefusals(t *testing.T) {
	tempFail := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	for _, tc := range []struct {
		name string
		srv  *lmtpServer
		want string
	}{
		{"MAIL refused", &lmtpServer{mailErr: tempFail}, "451 4.3.0 try later|451 4.3.0 try later"},
		{"every RCPT refused", &lmtpServer{rcptErr: map[string]error{
			"a@contoso.com": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no"},
			"b@contoso.com": &smtp.SMTPError{Code: 450, Message: "busy"},
		}}, "550 5.1.1 no|450 4.0.0 busy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLMTP(t, "tcp", tc.srv.start(t, "tcp"))
			res, err := l.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("a@contoso.com", "b@contoso.com"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(resultStrings(res), "|"); got != tc.want {
				t.Errorf("results = %s, want %s", got, tc.want)
			}
			if n := len(tc.srv.messages()); n != 0 {
				t.Errorf("server stored %d messages", n)
			}
		})
	}
}

func TestLMTPFailures(t *testing.T) {
	t.Run("dial", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		l := newTestLMTP(t, "tcp", addr)
		if res, err := l.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("a@contoso.com")); err == nil {
			t.Errorf("deliver = %v, want a dial error", res)
		}
	})
	t.Run("body", func(t *testing.T) {
		srv := &lmtpServer{}
		l := newTestLMTP(t, "tcp", srv.start(t, "tcp"))
		open := func() (io.ReadCloser, error) { return &failingBody{n: 10}, nil }
		if res, err := l.deliver(t.Context(), &queue.Envelope{}, open, rcptList("a@contoso.com")); err == nil {
			t.Errorf("deliver = %v, want an error", res)
		}
		if n := len(srv.messages()); n != 0 {
			t.Errorf("server stored %d messages from a broken body", n)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		srv := &lmtpServer{hold: make(chan struct{}), entered: make(chan struct{})}
		l := newTestLMTP(t, "unix", srv.start(t, "unix"))
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-srv.entered; cancel() }()
		_, err := l.deliver(ctx, &queue.Envelope{}, body(crlfBody), rcptList("a@contoso.com"))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("reply timeout", func(t *testing.T) {
		srv := &lmtpServer{hold: make(chan struct{}), entered: make(chan struct{})}
		l := newTestLMTP(t, "tcp", srv.start(t, "tcp"), WithDataTimeout(50*time.Millisecond))
		_, err := l.deliver(t.Context(), &queue.Envelope{}, body(crlfBody), rcptList("a@contoso.com"))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("error = %v, want a timeout", err)
		}
	})
	t.Run("cancelled before dial", func(t *testing.T) {
		l := newTestLMTP(t, "tcp", "127.0.0.1:1")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := l.deliver(ctx, &queue.Envelope{}, body(crlfBody), rcptList("a@contoso.com")); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	})
}

func TestNewLMTP(t *testing.T) {
	for _, tc := range []struct {
		network, addr string
		ok            bool
	}{
		{"unix", "/run/dovecot/lmtp", true},
		{"tcp", "127.0.0.1:24", true},
		{"tcp6", "[::1]:24", true},
		{"tcp", "127.0.0.1", false},
		{"udp", "127.0.0.1:24", false},
		{"unix", "", false},
	} {
		_, err := NewLMTP(tc.network, tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("NewLMTP(%q, %q) error = %v, want ok=%v", tc.network, tc.addr, err, tc.ok)
		}
	}
}

func TestLMTPSuccessText(t *testing.T) {
	l := &LMTP{remote: "mbx"}
	tx := &lmtpTxn{l: l}
	for _, tc := range []struct{ in, enh, text string }{
		{"2.0.0 <id> Saved", "2.0.0", "<id> Saved"},
		{"Ok", "", "Ok"},
		{"2.6.0x queued", "", "2.6.0x queued"},
		{"5.1.1 odd", "", "5.1.1 odd"},
		{"", "", ""},
	} {
		if r := tx.success(tc.in); r.Code != 250 || r.Enhanced != tc.enh || r.Text != tc.text || r.RemoteMTA != "mbx" {
			t.Errorf("success(%q) = %+v, want Enhanced %q Text %q", tc.in, r, tc.enh, tc.text)
		}
	}
}
