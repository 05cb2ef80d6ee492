package smtpx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
)

// readUntilEOF reads replies until the server closes the connection.
func readUntilEOF(t *testing.T, r *raw, max int) []string {
	t.Helper()
	var got []string
	for range max {
		rep := r.reply()
		if rep == "EOF" {
			return got
		}
		got = append(got, rep)
	}
	t.Fatalf("still open after %d replies: %q", max, got)
	return nil
}

// MaxProtocolErrors counts the replies go-smtp writes itself (a malformed
// MAIL is answered 501 by go-smtp, never reaching the session), before and
// after STARTTLS, where the connection wrapper sees only TLS records.
func TestProtocolErrorsCountGoSMTPReplies(t *testing.T) {
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plaintext", false}, {"after STARTTLS", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, smtpx.WithReceiveConnector(internet(t, connector.WithMaxProtocolErrors(3))),
				smtpx.WithTLSCertificate(testPKI.Certificate(serverName)))
			r, _ := dialRaw(t, e.firstAddr(t))
			expect(t, r, [2]string{"EHLO client.example", "250"})
			if tc.tls {
				r.startTLS(testPKI.ClientTLSConfig(serverName))
				expect(t, r, [2]string{"EHLO client.example", "250"})
			}
			// 50 pipelined: the connection must close after the third reply.
			if got := r.write(strings.Repeat("MAIL FROM:<<<bad\r\n", 50)); !strings.HasPrefix(got, "501") {
				t.Fatal(got)
			}
			rest := readUntilEOF(t, r, 60)
			if len(rest) != 2 {
				t.Fatalf("replies after the first: %q, want exactly 2 then the close", rest)
			}
			for _, rep := range rest {
				if !strings.HasPrefix(rep, "501") {
					t.Fatalf("got %q", rest)
				}
			}
		})
	}
}

// A refusal the session counted is not counted again when its reply goes
// by; the error limit applies to the mix of both kinds.
func TestProtocolErrorsNotCountedTwice(t *testing.T) {
	e := start(t, smtpx.WithReceiveConnector(internet(t, connector.WithMaxProtocolErrors(3))))
	r, _ := dialRaw(t, e.firstAddr(t))
	expect(t, r,
		[2]string{"EHLO client.example", "250"},
		[2]string{"MAIL FROM:<a@fabrikam.com>", "250"},
		[2]string{"RCPT TO:<x@fabrikam.com>", "550 5.7.1"}, // session: 1
		[2]string{"RCPT TO:<y@fabrikam.com>", "550 5.7.1"}, // session: 2
		[2]string{"NOOP", "250"},
		[2]string{"BDAT x", "501"}, // go-smtp: 3
	)
	if !r.closed() {
		t.Fatal("connection still open after the third error")
	}
}

// An unauthenticated client is tarpitted after go-smtp's own error
// replies too, and Shutdown cuts the tarpit short.
func TestTarpitAfterGoSMTPReply(t *testing.T) {
	const d = 200 * time.Millisecond
	e := start(t, smtpx.WithReceiveConnector(internet(t, connector.WithTarpitInterval(d))))
	r, _ := dialRaw(t, e.firstAddr(t))
	expect(t, r, [2]string{"EHLO client.example", "250"})
	begin := time.Now()
	expect(t, r, [2]string{"RCPT TO:<bob@contoso.com>", "502"}, [2]string{"NOOP", "250"})
	if took := time.Since(begin); took < d {
		t.Fatalf("next reply after %v, want the tarpit %v first", took, d)
	}

	e2 := start(t, smtpx.WithReceiveConnector(internet(t, connector.WithTarpitInterval(10*time.Minute))))
	r2, _ := dialRaw(t, e2.firstAddr(t))
	expect(t, r2, [2]string{"EHLO client.example", "250"}, [2]string{"MAIL FROM:<<<bad", "501"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e2.tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown during a tarpit: %v", err)
	}
}
