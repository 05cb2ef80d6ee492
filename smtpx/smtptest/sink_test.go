package smtptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func dial(t *testing.T, s *Sink) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dialTLS(t *testing.T, s *Sink, cfg *tls.Config) *smtp.Client {
	t.Helper()
	c, err := smtp.DialStartTLS(s.Addr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSinkPlain(t *testing.T) {
	sink := NewSink(t, Hostname("mx1.fabrikam.com"))
	c := dial(t, sink)
	if err := c.Hello("hub1.contoso.com"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Error("STARTTLS not offered by default")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered without RequireAuth")
	}
	if _, err := send(c, "alice@contoso.com", []string{"bob@fabrikam.com", "carol@fabrikam.com"}, testBody); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	sink.Stop() // the last reply is recorded just after it is sent
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "alice@contoso.com" || strings.Join(m.To, ",") != "bob@fabrikam.com,carol@fabrikam.com" ||
		m.Helo != "hub1.contoso.com" || m.ConnID != 1 || m.TLS || m.AuthUser != "" {
		t.Errorf("message facts = %+v", m)
	}
	if got := m.Header.Get("Subject"); got != "hello" {
		t.Errorf("Subject = %q", got)
	}
	if string(m.Body) != testBody {
		t.Errorf("Body = %q", m.Body)
	}
	if sink.Connections() != 1 {
		t.Errorf("Connections = %d", sink.Connections())
	}
	d := sink.Dialogue()
	mustContain(t, d, "1 S: 220 mx1.fabrikam.com ESMTP Service Ready\n")
	mustContain(t, d, "1 C: RCPT TO:<carol@fabrikam.com>\n")
	mustContain(t, d, "1 S: 221 2.0.0 Bye\n")
}

func TestSinkSTARTTLS(t *testing.T) {
	pki := NewPKI(t)
	sink := NewSink(t, WithPKI(pki, "mx1.fabrikam.com"), RequireTLS())
	t.Run("plaintext MAIL refused", func(t *testing.T) {
		c := dial(t, sink)
		err := c.Mail("alice@contoso.com", nil)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 530 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 0}) {
			t.Fatalf("MAIL before STARTTLS: %v, want 530 5.7.0", err)
		}
	})
	t.Run("trusted", func(t *testing.T) {
		cfg := pki.ClientTLSConfig("mx1.fabrikam.com")
		cfg.Certificates = []tls.Certificate{pki.Certificate("hub1.contoso.com")}
		c := dialTLS(t, sink, cfg)
		if _, err := send(c, "alice@contoso.com", []string{"bob@fabrikam.com"}, testBody); err != nil {
			t.Fatal(err)
		}
		m := sink.Messages()[0]
		if !m.TLS || m.TLSServerName != "mx1.fabrikam.com" {
			t.Errorf("TLS=%v ServerName=%q", m.TLS, m.TLSServerName)
		}
		if len(m.PeerCertificates) != 1 || m.PeerCertificates[0].Subject.CommonName != "hub1.contoso.com" {
			t.Errorf("PeerCertificates = %v", m.PeerCertificates)
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		// go-smtp's client handshakes lazily, on the first command after STARTTLS.
		c := dialTLS(t, sink, pki.ClientTLSConfig("mx9.fabrikam.com"))
		err := c.Hello("hub1.contoso.com")
		var certErr *tls.CertificateVerificationError
		if !errors.As(err, &certErr) {
			t.Fatalf("err = %v, want a certificate verification error", err)
		}
		c.Close()
		sink.Stop()
		if tr := sink.Transcript(); !strings.HasSuffix(tr, "EHLO localhost\nSTARTTLS\n") {
			t.Errorf("lines after a failed handshake:\n%s", tr)
		}
	})
}

func TestSinkAuth(t *testing.T) {
	tests := []struct {
		name     string
		opts     []SinkOption
		tls      bool
		client   sasl.Client
		wantCode int // 0: success
	}{
		{"plain", nil, true, sasl.NewPlainClient("", "user", "pass"), 0},
		{"login", nil, true, sasl.NewLoginClient("user", "pass"), 0},
		{"plain bad password", nil, true, sasl.NewPlainClient("", "user", "nope"), 535},
		{"login bad user", nil, true, sasl.NewLoginClient("mallory", "pass"), 535},
		{"plain foreign identity", nil, true, sasl.NewPlainClient("admin", "user", "pass"), 535},
		{"no TLS", nil, false, sasl.NewPlainClient("", "user", "pass"), 523},
		{"no TLS allowed", []SinkOption{AllowInsecureAuth()}, false, sasl.NewLoginClient("user", "pass"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(t, append(tt.opts, RequireAuth("user", "pass"))...)
			var c *smtp.Client
			if tt.tls {
				c = dialTLS(t, sink, sink.PKI().ClientTLSConfig("localhost"))
			} else {
				c = dial(t, sink)
			}
			err := c.Auth(tt.client)
			if code(err) != tt.wantCode || (tt.wantCode == 0 && err != nil) {
				t.Fatalf("Auth = %v, want code %d", err, tt.wantCode)
			}
			if tt.wantCode != 0 {
				if err := c.Mail("alice@contoso.com", nil); code(err) != 530 {
					t.Fatalf("MAIL unauthenticated = %v, want 530", err)
				}
				return
			}
			mech, _, _ := tt.client.Start()
			if _, err := send(c, "alice@contoso.com", []string{"bob@fabrikam.com"}, testBody); err != nil {
				t.Fatal(err)
			}
			if m := sink.Messages()[0]; m.AuthUser != "user" || m.AuthMechanism != mech {
				t.Errorf("AuthUser=%q AuthMechanism=%q", m.AuthUser, m.AuthMechanism)
			}
		})
	}
}

// TestSinkTranscriptInsideTLS checks that lines sent after STARTTLS,
// credentials included, reach the transcript in plaintext.
func TestSinkTranscriptInsideTLS(t *testing.T) {
	sink := NewSink(t, RequireAuth("user", "secret"))
	c := dialTLS(t, sink, sink.PKI().ClientTLSConfig("localhost"))
	if err := c.Auth(sasl.NewPlainClient("", "user", "secret")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	sink.Stop() // waits for the connection goroutine, so the transcript is complete
	want := "EHLO localhost\nSTARTTLS\nEHLO localhost\nAUTH PLAIN AHVzZXIAc2VjcmV0\nQUIT\n"
	if got := sink.Transcript(); got != want {
		t.Errorf("Transcript =\n%s\nwant\n%s", got, want)
	}
}

func TestSinkScript(t *testing.T) {
	sink := NewSink(t)
	sink.Script("Bob@fabrikam.com", "450 4.2.0 busy", "450 4.2.0 busy", "250 ok")
	sink.Script("carol@fabrikam.com", "550 5.1.1 no such user")
	sink.ScriptData("451 4.3.0 try later", "250 2.0.0 queued as 42")
	c := dial(t, sink)
	rcpts := []string{"bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com"}

	steps := []struct {
		wantRcpt map[string]int // reply codes of rejected recipients
		wantData int            // DATA reply code, 0 for success
	}{
		{map[string]int{"bob@fabrikam.com": 450, "carol@fabrikam.com": 550}, 451},
		{map[string]int{"bob@fabrikam.com": 450}, 0},
		{map[string]int{}, 0},
	}
	for i, st := range steps {
		rcptErrs, dataErr := send(c, "alice@contoso.com", rcpts, testBody)
		for _, r := range rcpts {
			if got := code(rcptErrs[r]); got != st.wantRcpt[r] {
				t.Errorf("step %d: RCPT %s = %v, want code %d", i, r, rcptErrs[r], st.wantRcpt[r])
			}
		}
		if code(dataErr) != st.wantData || st.wantData == 0 && dataErr != nil {
			t.Errorf("step %d: DATA = %v, want code %d", i, dataErr, st.wantData)
		}
	}
	msgs := sink.Messages()
	if len(msgs) != 2 || strings.Join(msgs[0].To, ",") != "carol@fabrikam.com,dave@fabrikam.com" || len(msgs[1].To) != 3 {
		t.Fatalf("messages = %+v", msgs)
	}
	sink.Stop() // the last reply is recorded just after it is sent
	d := sink.Dialogue()
	mustContain(t, d, "S: 451 4.3.0 try later\n")
	mustContain(t, d, "S: 450 4.2.0 busy\n")
	mustContain(t, d, "S: 250 2.0.0 queued as 42\n")
}

func TestSinkBadScriptIsFatal(t *testing.T) {
	for _, reply := range []string{"45 busy", "650 x", "450 5.2.0 class mismatch"} {
		if msg := expectFatal(func(tb TB) { NewSink(tb).Script("bob@fabrikam.com", reply) }); msg == "" {
			t.Errorf("Script accepted %q", reply)
		}
	}
}

func TestSinkOnData(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want smtp.SMTPError
	}{
		{"smtp error", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}, smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}},
		{"wrapped smtp error", errors.Join(errors.New("ctx"), &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "full"}), smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "full"}},
		{"plain error", errors.New("disk on fire"), smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "disk on fire"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := NewSink(t, OnData(func(context.Context, Message) error { return tt.err }))
			_, err := send(dial(t, sink), "alice@contoso.com", []string{"bob@fabrikam.com"}, testBody)
			var se *smtp.SMTPError
			if !errors.As(err, &se) || *se != tt.want {
				t.Errorf("DATA = %#v, want %#v", err, tt.want)
			}
			if len(sink.Messages()) != 0 {
				t.Error("rejected message recorded")
			}
		})
	}
}

// TestSinkHangingHook checks that a hook blocked on its context is
// released by Stop, so a hanging server does not leak goroutines.
func TestSinkHangingHook(t *testing.T) {
	entered := make(chan struct{})
	sink := NewSink(t, OnData(func(ctx context.Context, _ Message) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}))
	c := dial(t, sink)
	errc := make(chan error, 1)
	go func() {
		_, err := send(c, "alice@contoso.com", []string{"bob@fabrikam.com"}, testBody)
		errc <- err
	}()
	<-entered
	sink.Stop()
	if err := <-errc; err == nil {
		t.Fatal("DATA succeeded on a stopped sink")
	}
}

func TestSinkStopStart(t *testing.T) {
	sink := NewSink(t)
	addr := sink.Addr()
	if _, err := send(dial(t, sink), "a@contoso.com", []string{"b@fabrikam.com"}, testBody); err != nil {
		t.Fatal(err)
	}
	sink.Stop()
	sink.Stop() // idempotent
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("stopped sink accepted a connection")
	}
	sink.Start()
	sink.Start() // no-op while running
	if sink.Addr() != addr {
		t.Fatalf("Addr changed from %s to %s", addr, sink.Addr())
	}
	if _, err := send(dial(t, sink), "a@contoso.com", []string{"b@fabrikam.com"}, testBody); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.Messages()); n != 2 || sink.Connections() != 2 {
		t.Errorf("messages=%d connections=%d, want 2 and 2", n, sink.Connections())
	}
	if msg := expectFatal(func(tb TB) { s := NewSink(tb); s.Close(); s.Start() }); msg == "" {
		t.Error("Start after Close did not fail")
	}
}

func TestSinkRefuseGreeting(t *testing.T) {
	sink := NewSink(t, RefuseGreeting(421, "4.3.2 Service not available"))
	c := dial(t, sink)
	err := c.Hello("hub1.contoso.com")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 421 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 2}) {
		t.Fatalf("greeting = %v, want 421 4.3.2", err)
	}
	if sink.Connections() != 1 {
		t.Errorf("Connections = %d", sink.Connections())
	}
}

func TestSinkHangGreeting(t *testing.T) {
	sink := NewSink(t, HangGreeting())
	conn, err := net.Dial("tcp", sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := conn.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read = %v, want a timeout", err)
	}
}

func TestSinkMaxSize(t *testing.T) {
	sink := NewSink(t, MaxSize(64))
	c := dial(t, sink)
	if err := c.Hello("hub1.contoso.com"); err != nil {
		t.Fatal(err)
	}
	if size, ok := c.MaxMessageSize(); !ok || size != 64 {
		t.Errorf("MaxMessageSize = %d, %v", size, ok)
	}
	if err := c.Mail("a@contoso.com", &smtp.MailOptions{Size: 1000}); code(err) != 552 {
		t.Errorf("MAIL SIZE=1000 = %v, want 552", err)
	}
	_, err := send(c, "a@contoso.com", []string{"b@fabrikam.com"}, testBody+strings.Repeat("x", 100)+"\r\n")
	if code(err) != 552 {
		t.Errorf("oversized DATA = %v, want 552", err)
	}
}

func TestSinkNoSTARTTLS(t *testing.T) {
	sink := NewSink(t, NoSTARTTLS(), NoSMTPUTF8())
	if sink.PKI() != nil {
		t.Error("PKI without TLS")
	}
	c := dial(t, sink)
	if err := c.Hello("hub1.contoso.com"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"STARTTLS", "SMTPUTF8"} {
		if ok, _ := c.Extension(ext); ok {
			t.Errorf("%s advertised", ext)
		}
	}
	if msg := expectFatal(func(tb TB) { NewSink(tb, NoSTARTTLS(), RequireTLS()) }); msg == "" {
		t.Error("RequireTLS with NoSTARTTLS accepted")
	}
}

func TestSinkWithTLS(t *testing.T) {
	cert, err := SelfSigned("mx.example")
	if err != nil {
		t.Fatal(err)
	}
	sink := NewSink(t, WithTLS(cert))
	pool := NewPKI(t).Pool()
	pool.AddCert(cert.Leaf)
	c := dialTLS(t, sink, &tls.Config{ServerName: "mx.example", RootCAs: pool})
	if err := c.Noop(); err != nil { // completes the lazy handshake
		t.Fatal(err)
	}
	if state, ok := c.TLSConnectionState(); !ok || state.PeerCertificates[0].Subject.CommonName != "mx.example" {
		t.Errorf("TLS state = %v, %v", ok, state.PeerCertificates)
	}
}

func TestSinkLMTP(t *testing.T) {
	sink := NewSink(t, LMTP(), NoSTARTTLS())
	sink.ScriptData("452 4.2.2 mailbox full")
	conn, err := net.Dial("tcp", sink.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Mail("a@contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"b@fabrikam.com", "c@fabrikam.com"} {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(testBody))
	resp, err := w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if !errors.As(err, &lerr) || len(lerr) != 2 || code(lerr["c@fabrikam.com"]) != 452 {
		t.Fatalf("LMTP DATA = %v, %v", resp, err)
	}
}

func TestSinkWaitMessages(t *testing.T) {
	sink := NewSink(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := sink.WaitMessages(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitMessages on an idle sink = %v", err)
	}
	errc := make(chan error, 2)
	for range 2 {
		go func() {
			c, err := smtp.Dial(sink.Addr())
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			_, err = send(c, "a@contoso.com", []string{"b@fabrikam.com"}, testBody)
			errc <- err
		}()
	}
	msgs, err := sink.WaitMessages(context.Background(), 2)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("WaitMessages = %d, %v", len(msgs), err)
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// TestSinkTranscriptReplyShapedData sends data lines that look like
// server replies, in plaintext and inside TLS, and checks that they are
// all attributed to the client.
func TestSinkTranscriptReplyShapedData(t *testing.T) {
	var body strings.Builder
	body.WriteString("Subject: tricky\r\n\r\n")
	for i := range 200 {
		fmt.Fprintf(&body, "250 fake reply %d\r\n", i)
	}
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprint("tls=", useTLS), func(t *testing.T) {
			sink := NewSink(t)
			c := dial(t, sink)
			if useTLS {
				c = dialTLS(t, sink, sink.PKI().ClientTLSConfig("localhost"))
			}
			if _, err := send(c, "a@contoso.com", []string{"b@fabrikam.com"}, body.String()); err != nil {
				t.Fatal(err)
			}
			c.Quit()
			sink.Stop()
			tr := sink.Transcript()
			if n := strings.Count(tr, "250 fake reply"); n != 200 {
				t.Errorf("%d reply-shaped data lines in the transcript, want 200", n)
			}
			if strings.Contains(tr, "Roger") || !strings.HasSuffix(tr, ".\nQUIT\n") {
				t.Errorf("transcript mixes directions:\n%s", tr)
			}
		})
	}
}
