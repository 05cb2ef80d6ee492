package smtpx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// readUntilEOF reads replies until the server closes the connection.
func readUntilEOF(t *testing.T, r *smtptest.Client, max int) []string {
	t.Helper()
	var got []string
	for range max {
		rep := r.ReadReply()
		if rep == "EOF" {
			return got
		}
		got = append(got, rep)
	}
	t.Fatalf("still open after %d replies: %q", max, got)
	return nil
}

// MaxProtocolErrors counts the replies of the command parser too (a
// malformed MAIL is answered 501 without reaching the session), before and
// after STARTTLS.
func TestProtocolErrorsCountParserReplies(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plaintext", false}, {"after STARTTLS", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 3 })),
				transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))))
			r, _ := smtptest.Dial(t, e.firstAddr(t))
			expect(t, r, smtptest.Step{"EHLO client.example", "250"})
			if tc.tls {
				r.StartTLS(testPKI.ClientTLSConfig(serverName))
				expect(t, r, smtptest.Step{"EHLO client.example", "250"})
			}
			// 50 pipelined: the connection must close after the third
			// reply and the 421 that says why (RFC 5321 §3.8).
			if got := r.Send(strings.Repeat("MAIL FROM:<<<bad\r\n", 50)); !strings.HasPrefix(got, "501") {
				t.Fatal(got)
			}
			rest := readUntilEOF(t, r, 60)
			if len(rest) != 3 {
				t.Fatalf("replies after the first: %q, want exactly 2 and a 421, then the close", rest)
			}
			for i, rep := range rest {
				want := "501"
				if i == 2 {
					want = "421 4.7.0"
				}
				if !strings.HasPrefix(rep, want) {
					t.Fatalf("got %q", rest)
				}
			}
		})
	}
}

// Refusals of the session (policy) and of the command parser (syntax)
// count toward the same limit, each once.
func TestProtocolErrorsNotCountedTwice(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 3 })))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r,
		smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<x@fabrikam.com>", "550 5.7.1"}, // session: 1
		smtptest.Step{"RCPT TO:<y@fabrikam.com>", "550 5.7.1"}, // session: 2
		smtptest.Step{"NOOP", "250"},
		smtptest.Step{"BDAT x", "501"}, // syntax: 3
		smtptest.Step{"RAW:", "421 4.7.0"},
	)
	if !r.Closed(quietWait) {
		t.Fatal("connection still open after the third error")
	}
}

// An unauthenticated client is tarpitted after syntax and sequence errors
// too, and Shutdown cuts the tarpit short.
func TestTarpitAfterSyntaxError(t *testing.T) {
	const d = 200 * time.Millisecond
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.TarpitInterval = d })))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	begin := time.Now()
	expect(t, r, smtptest.Step{"RCPT TO:<bob@contoso.com>", "503"})
	if took := time.Since(begin); took < d {
		t.Fatalf("error reply after %v, want it delayed by the tarpit %v", took, d)
	}
	expect(t, r, smtptest.Step{"NOOP", "250"})

	e2 := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.TarpitInterval = 10 * time.Minute
	})))
	r2, _ := smtptest.Dial(t, e2.firstAddr(t))
	expect(t, r2, smtptest.Step{"EHLO client.example", "250"})
	if _, err := r2.Write([]byte("MAIL FROM:<<<bad\r\n")); err != nil {
		t.Fatal(err)
	}
	if st := r2.Wait(200 * time.Millisecond); st != smtptest.StateTimeout {
		t.Fatalf("the 501 was not held by the tarpit (%v)", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e2.tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown during a tarpit: %v", err)
	}
}

// An over-long command line is answered 500 5.5.2 and counted; the server
// drops the rest of the line and serves the next command (RFC 5321
// §4.5.3.1.4: "500 Line too long").
func TestLongCommandLineResynchronises(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 2 })))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	long := "MAIL FROM:<" + strings.Repeat("a", 8000) + "@fabrikam.com>\r\n"
	expect(t, r,
		smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"RAW:" + long, "500 5.5.2 Line too long"},
		smtptest.Step{"NOOP", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RAW:" + long, "500 5.5.2 Line too long"}, // the second error: the limit
		smtptest.Step{"RAW:", "421 4.7.0"},
		smtptest.Step{"RAW:", "EOF"},
	)
}
