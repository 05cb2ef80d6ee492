package smtpx_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// logBuffer is a bytes.Buffer safe for a log's flusher.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written *sync.Cond // on mu, broadcast by every Write
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		l.written.Broadcast()
	}
	return l.b.Write(p)
}

// waitFor returns once the log holds s: a line written after the event
// a test waited for (the transport logs an outcome after tracing it).
// The test fails if it is not there by queuetest.WaitDeadline.
func (l *logBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written == nil {
		l.written = sync.NewCond(&l.mu)
	}
	late := false
	timer := time.AfterFunc(queuetest.WaitDeadline, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		late = true
		l.written.Broadcast()
	})
	defer timer.Stop()
	for !bytes.Contains(l.b.Bytes(), []byte(s)) {
		if late {
			t.Fatalf("log lacks %s after %v:\n%s", s, queuetest.WaitDeadline, l.b.String())
		}
		l.written.Wait()
	}
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// conversation renders records as "event data|context" lines.
func conversation(t *testing.T, raw string) string {
	t.Helper()
	recs, err := protolog.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, r := range recs {
		if r.Sequence != i || r.SessionID != recs[0].SessionID || r.ConnectorID != recs[0].ConnectorID {
			t.Errorf("record %d: %+v", i, r)
		}
		b.WriteString(r.Event.String() + " " + r.Data + "|" + r.Context + "\n")
	}
	return b.String()
}

// inOrder fails unless every want appears in got, in order.
func inOrder(t *testing.T, name, got string, want ...string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("%s log lacks %q after the previous expectations:\n%s", name, w, got)
		}
		rest = rest[i+len(w):]
	}
}

// A message submitted over STARTTLS with AUTH PLAIN on a Verbose receive
// connector and relayed by a Verbose send connector to a sink: both logs
// show the conversation with the credentials redacted and no body.
func TestProtocolLogReceiveAndSend(t *testing.T) {
	for _, level := range []connector.ProtocolLoggingLevel{connector.ProtocolLoggingVerbose, connector.ProtocolLoggingNone} {
		t.Run(level.String(), func(t *testing.T) {
			sink := smtptest.NewSink(t)
			out := smtptest.SendConnector(t, "To Fabrikam", connector.UsageInternet, "fabrikam.com", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
				c.ProtocolLoggingLevel = level
			})
			rc := smtptest.ReceiveConnector(t, "Client", connector.UsageClient, func(c *connector.ReceiveConfig) {
				c.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
				c.ProtocolLoggingLevel = level
			})
			var recvOut, sendOut logBuffer
			recv := protolog.New(&recvOut, protolog.WithType(protolog.Receive))
			send := protolog.New(&sendOut, protolog.WithType(protolog.Send))
			tr := plainTransport(t, transport.WithReceiveConnector(rc), transport.WithSendConnector(out),
				transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))), transport.WithServerOptions(smtpx.WithAuthenticator(users())),
				transport.WithProtocolLog(recv, send))

			c := dialStartTLS(t, tr.Addr("Client").String(), testPKI.ClientTLSConfig(serverName))
			if err := c.Auth(sasl.NewPlainClient("", "alice", "secret")); err != nil {
				t.Fatal(err)
			}
			submit(t, c, "alice@contoso.com", []string{"x@fabrikam.com"}, message("Subject: private matter")+"secret body line\r\n")
			if err := c.Quit(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := sink.WaitMessages(ctx, 1); err != nil {
				t.Fatal(err)
			}
			// Shutdown ends the pooled outbound session and waits for the
			// receive session's goroutines, so both logs are complete.
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := recv.Close(); err != nil {
				t.Fatal(err)
			}
			if err := send.Close(); err != nil {
				t.Fatal(err)
			}
			if level == connector.ProtocolLoggingNone {
				if recvOut.String() != "" || sendOut.String() != "" {
					t.Fatalf("None connectors logged:\n%s\n%s", recvOut.String(), sendOut.String())
				}
				return
			}
			for name, raw := range map[string]string{"receive": recvOut.String(), "send": sendOut.String()} {
				for _, secret := range []string{"secret", "AGFsaWNlAHNlY3JldA", "Subject: private", "body line"} {
					if strings.Contains(raw, secret) {
						t.Fatalf("%s log contains %q:\n%s", name, secret, raw)
					}
				}
			}
			inOrder(t, "receive", conversation(t, recvOut.String()),
				"+ |", "> 220 hub01.contoso.com ESMTP MAIL Service ready at ", "< EHLO localhost|", "> 250 hub01.contoso.com Hello [127.0.0.1] SIZE 10485760 PIPELINING",
				"< STARTTLS|", "> 220 2.0.0 SMTP server ready|", "* TLS 1.3 ", "|TLS negotiation succeeded",
				"< EHLO localhost|", "AUTH PLAIN", "< AUTH PLAIN "+protolog.AuthResponse+"|", "> 235 ",
				"< MAIL FROM:<alice@contoso.com>", "> 250 ", "< RCPT TO:<x@fabrikam.com>", "> 250 ",
				"< DATA|", "> 354 ", "> 250 2.6.0 <", "Queued mail for delivery|", "< QUIT|", "> 221 ", "- |")
			if !strings.Contains(recvOut.String(), `,hub01\Client,`) {
				t.Errorf("receive connector id not hub01\\Client:\n%s", recvOut.String())
			}
			inOrder(t, "send", conversation(t, sendOut.String()),
				"+ |", "< 220 ", "> EHLO hub01.contoso.com|", "> STARTTLS|", "< 220 ", "* TLS 1.3 ",
				"> EHLO hub01.contoso.com|", "> MAIL FROM:<alice@contoso.com>", "< 250 ", "> RCPT TO:<x@fabrikam.com>",
				"< 250 ", "> DATA|", "< 354 ", "< 250 2.0.0 OK: queued|", "- |Local")
		})
	}
}

// BenchmarkSubmitProtocolLog is BenchmarkSubmit's in-memory case on a
// connector with protocol logging None and Verbose (into files): the cost
// of logging a transaction's 6 records (MAIL, RCPT, DATA and replies).
func BenchmarkSubmitProtocolLog(b *testing.B) {
	discard := queue.DelivererFunc(func(_ context.Context, _ queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		return make([]queue.Result, len(rcpts)), nil
	})
	msg := []byte("Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("b", 62)+"\r\n", 64))
	for _, level := range []connector.ProtocolLoggingLevel{connector.ProtocolLoggingNone, connector.ProtocolLoggingVerbose} {
		b.Run(level.String(), func(b *testing.B) {
			rc := smtptest.ReceiveConnector(b, "From Internet", connector.UsageInternet, func(c *connector.ReceiveConfig) {
				c.ProtocolLoggingLevel = level
			})
			recv, err := protolog.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer recv.Close()
			tr := smtptest.NewTransport(b, transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
				transport.WithReceiveConnector(rc), transport.WithLocalDelivery(discard), transport.WithProtocolLog(recv, nil))
			c, err := smtp.Dial(tr.Addr("From Internet").String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(msg)))
			n := 0 // numbered Message-IDs, or the routing-loop guard refuses
			for b.Loop() {
				n++
				m := append([]byte("Message-ID: <"+strconv.Itoa(n)+"@bench.example>\r\n"), msg...)
				if err := c.SendMail("sender@fabrikam.com", []string{"bob@contoso.com"}, bytes.NewReader(m)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// No body reaches the protocol log, however the client frames it: a DATA
// with a trailing space, a bare LF before a "." line, BDAT chunks (one
// skipped after a failure), and the disconnection is logged before
// Shutdown returns.
func TestProtocolLogNeverHoldsBodies(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.ProtocolLoggingLevel = connector.ProtocolLoggingVerbose
		c.MaxMessageSize = 64 << 10
	})
	var out logBuffer
	recv := protolog.New(&out, protolog.WithType(protolog.Receive))
	e := start(t, transport.WithReceiveConnector(rc), transport.WithProtocolLog(recv, nil))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	big := "X-Test: three\r\n\r\n" + strings.Repeat("SECRET-BDAT-OVERSIZE\r\n", 4000)
	expect(t, r,
		smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA ", "354"},
		smtptest.Step{"RAW:Subject: one\r\n\r\nhello\n.\r\nSECRET-AFTER-BARE-LF\r\n.\r\n", "250 2.6.0"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"RAW:BDAT 29\r\nSubject: two\r\n\r\nSECRET-BDAT\r\n", "250 2.0.0"},
		smtptest.Step{"RAW:BDAT 5\r\nx\r\n\r\n", "250 2.0.0"},
		smtptest.Step{"RAW:BDAT 0 LAST\r\n", "250 2.6.0"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{fmt.Sprintf("RAW:BDAT %d\r\n%s", len(big), big), "552 5.3.4"},
		smtptest.Step{"RAW:BDAT 23 LAST\r\nSECRET-BDAT-SKIPPED\r\n\r\n", "552 5.3.4"}, // answered alike, uncounted
		smtptest.Step{"QUIT", "221"},
	)
	r.Closed(quietWait)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := recv.Close(); err != nil {
		t.Fatal(err)
	}
	got := conversation(t, out.String())
	if strings.Contains(got, "SECRET") || strings.Contains(got, "Subject") {
		t.Fatalf("a body reached the log:\n%s", got)
	}
	inOrder(t, "receive", got, "< DATA |", "> 250 2.6.0", "< BDAT 29|", "< BDAT 5|", "< BDAT 0 LAST|",
		"> 552 5.3.4", "< BDAT 23 LAST|", "> 552 5.3.4", "< QUIT|", "- |")
}
