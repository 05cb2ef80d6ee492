package smtpx_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// txSteps open a transaction: EHLO, MAIL, RCPT to a local recipient.
var txSteps = []smtptest.Step{
	{"EHLO client.example", "250"},
	{"MAIL FROM:<a@fabrikam.com>", "250"},
	{"RCPT TO:<bob@contoso.com>", "250"},
}

// Only <CR><LF>.<CR><LF> ends a message: a line end another server reads
// differently ("SMTP smuggling") never lets a second message through. The
// smuggled commands arrive as text of the one message, which gets the one
// 250.
func TestDataEndsOnlyAtCRLFDotCRLF(t *testing.T) {
	for _, end := range []string{"\n.\r\n", "\r\n.\n", "\r.\r\n", "\n.\n", "\r\n.\r"} {
		t.Run(fmt.Sprintf("%q", end), func(t *testing.T) {
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
			r, _ := smtptest.Dial(t, e.firstAddr(t))
			expect(t, r, txSteps...)
			expect(t, r,
				smtptest.Step{"DATA", "354"},
			)
			smuggled := "MAIL FROM:<ceo@contoso.com>\r\nRCPT TO:<bob@contoso.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n"
			body := "Subject: outer\r\n\r\nfirst" + end + smuggled + ".\r\n"
			if _, err := r.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
			if got := r.ReadReply(); !strings.HasPrefix(got, "250 2.6.0") {
				t.Fatalf("end of the message: %q", got)
			}
			if st := r.Wait(200 * time.Millisecond); st == smtptest.StateData {
				t.Fatalf("a second reply: %q", r.ReadReply())
			}
			d := e.local.Wait(t)
			if d.Env.From != "a@fabrikam.com" || !strings.Contains(d.Body, "Subject: smuggled") {
				t.Fatalf("delivered from %q:\n%s", d.Env.From, d.Body)
			}
			if n := e.local.Pending(); n != 0 {
				t.Fatalf("%d more messages", n)
			}
		})
	}
}

// Dot-stuffing is undone and the CR LF before the final "." belongs to
// the message.
func TestDataDotStuffing(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, txSteps...)
	expect(t, r,
		smtptest.Step{"DATA", "354"},
		smtptest.Step{"RAW:Subject: dots\r\n\r\n..one\r\n.\r\n", "250 2.6.0"},
	)
	d := e.local.Wait(t)
	if !strings.HasSuffix(d.Body, "\r\n\r\n.one\r\n") {
		t.Fatalf("body %q", d.Body)
	}
}

// Commands pipelined behind STARTTLS in plain text are dropped, never
// served inside the TLS session (CVE-2011-0411).
func TestStartTLSDropsPipelinedPlaintext(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))))
	nc, err := net.Dial("tcp", e.firstAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	readReply := func(br *bufio.Reader) string {
		var last string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			last = line
			if len(line) < 4 || line[3] != '-' {
				return strings.TrimSpace(last)
			}
		}
	}
	readReply(br) // banner
	fmt.Fprintf(nc, "EHLO client.example\r\n")
	readReply(br)
	fmt.Fprintf(nc, "STARTTLS\r\nRSET\r\nMAIL FROM:<injected@fabrikam.com>\r\n")
	if got := readReply(br); !strings.HasPrefix(got, "220 ") {
		t.Fatalf("STARTTLS: %q", got)
	}
	tc := tls.Client(nc, testPKI.ClientTLSConfig(serverName))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tbr := bufio.NewReader(tc)
	fmt.Fprintf(tc, "NOOP\r\n")
	if got := readReply(tbr); !strings.HasPrefix(got, "250 2.0.0 OK") {
		t.Fatalf("first reply over TLS: %q, want NOOP's (the injected commands were served)", got)
	}
	fmt.Fprintf(tc, "EHLO client.example\r\nMAIL FROM:<a@fabrikam.com>\r\n")
	readReply(tbr)
	if got := readReply(tbr); !strings.HasPrefix(got, "250") {
		t.Fatalf("MAIL after STARTTLS: %q (a transaction leaked through)", got)
	}
}

// A BDAT transfer left for another command ends there: nothing is
// enqueued and the command is served.
func TestBDATAbortedByAnotherCommand(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	chunk := "Subject: aborted\r\n\r\nbody\r\n"
	expect(t, r, txSteps...)
	expect(t, r,
		smtptest.Step{fmt.Sprintf("RAW:BDAT %d\r\n%s", len(chunk), chunk), "250 2.0.0"},
		smtptest.Step{"MAIL FROM:<b@fabrikam.com>", "250 2.1.0"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{fmt.Sprintf("RAW:BDAT %d LAST\r\n%s", len(chunk), chunk), "250 2.6.0"},
	)
	if d := e.local.Wait(t); d.Env.From != "b@fabrikam.com" {
		t.Fatalf("delivered from %q: the aborted transfer was enqueued", d.Env.From)
	}
	// A chunk without a transaction is read and dropped, not taken for
	// commands.
	expect(t, r, smtptest.Step{"RAW:BDAT 6 LAST\r\nNOOP\r\n", "503 5.5.1"}, smtptest.Step{"NOOP", "250"})
}

// What the command parser answers itself.
func TestCommandReplies(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 100 })))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r,
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "503 5.5.1"},
		smtptest.Step{"EHLO", "501 5.5.4"},
		smtptest.Step{"ehlo client.example", "250"},
		smtptest.Step{"HELP", "214"},
		smtptest.Step{"VRFY bob", "252"},
		smtptest.Step{"EXPN staff", "502 5.5.1"},
		smtptest.Step{"XYZZY", "500 5.5.1"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "503 5.5.1"},
		smtptest.Step{"DATA", "503 5.5.1"},
		smtptest.Step{"MAIL FROM:a@fabrikam.com SIZE=10", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "503 5.5.1"},
		smtptest.Step{"DATA", "503 5.5.1"},
		smtptest.Step{"RCPT TO:<bob@contoso.com> FOO=bar", "555 5.5.4"},
		smtptest.Step{"RCPT TO:<bob@contoso.com> NOTIFY=NEVER,SUCCESS", "501 5.5.4"},
		smtptest.Step{"RCPT TO:<bob@contoso.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40contoso.com", "250 2.1.5"},
		smtptest.Step{"DATA x", "501 5.5.4"},
		smtptest.Step{"RSET", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com> REQUIRETLS", "555 5.5.4"}, // only over TLS
		smtptest.Step{"MAIL FROM:<a@fabrikam.com> BODY=BINARYMIME", "555 5.5.4"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com> SIZE=x", "501 5.5.4"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com> SIZE=1 SIZE=2", "501 5.5.4"},
		smtptest.Step{"STARTTLS", "502 5.5.1"}, // no certificate
		smtptest.Step{"QUIT", "221 2.0.0"},
	)
	if !r.Closed(quietWait) {
		t.Fatal("open after QUIT")
	}
}

// REQUIRETLS (RFC 8689) is offered over TLS and travels with the message.
func TestRequireTLSParameter(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)),
		transport.WithServerOptions(smtpx.WithTLSCertificate(testPKI.Certificate(serverName))))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	r.StartTLS(testPKI.ClientTLSConfig(serverName))
	if got := r.Cmd("EHLO client.example"); !strings.Contains(got, "\nREQUIRETLS") {
		t.Fatalf("EHLO over TLS: %q", got)
	}
	expect(t, r,
		smtptest.Step{"MAIL FROM:<a@fabrikam.com> REQUIRETLS ENVID=q+2B1 RET=HDRS", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
	)
	if got := r.Data(message("Subject: tls")); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatal(got)
	}
	d := e.local.Wait(t)
	if !d.Env.RequireTLS || d.Env.EnvID != "q+1" {
		t.Fatalf("envelope %+v", d.Env)
	}
}

// An AUTH exchange the client cancels, or answers with bad base64, fails
// without a logon.
func TestAuthExchangeSyntax(t *testing.T) {
	rc := smtptest.CustomConnector(t, "Plain auth", func(c *connector.ReceiveConfig) {
		c.PermissionGroups = perms.AnonymousUsers | perms.ExchangeUsers
		c.AuthMechanism = auth.BasicAuth
		c.MaxProtocolErrors = 100
	})
	e := start(t, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r,
		smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"AUTH LOGIN", "334"},
		smtptest.Step{"*", "501 5.0.0"},
		smtptest.Step{"AUTH PLAIN !!!", "501 5.5.2"},
		smtptest.Step{"AUTH PLAIN", "334"},
		smtptest.Step{"%%%", "501 5.5.2"},
		smtptest.Step{"AUTH", "501 5.5.4"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "secret"), "503 5.5.1"}, // in a transaction
		smtptest.Step{"RSET", "250"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "secret"), "235 2.7.0"},
		smtptest.Step{"AUTH PLAIN " + plain("alice", "secret"), "503 5.5.1"},
	)
}

// Commands pipelined behind the end of a message are served, however many
// of them arrived with it, and a client that does not wait for 354 (RFC
// 2920 says it must; some do not) loses nothing either.
func TestCommandsPipelinedBehindMessage(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, txSteps...)
	expect(t, r,
		smtptest.Step{"DATA", "354"},
	)
	const noops = 3000 // 18 000 octets: more than a connection buffers between messages
	tail := "Subject: one\r\n\r\nbody\r\n.\r\n" + strings.Repeat("NOOP\r\n", noops) +
		"MAIL FROM:<b@fabrikam.com>\r\nRCPT TO:<bob@contoso.com>\r\nDATA\r\n" +
		"Subject: two\r\n\r\n" + strings.Repeat("line of the second body\r\n", 500) + ".\r\n"
	if _, err := r.Write([]byte(tail)); err != nil {
		t.Fatal(err)
	}
	if got := r.ReadReply(); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatalf("first message: %q", got)
	}
	for i := range noops {
		if got := r.ReadReply(); got != "250 2.0.0 OK" {
			t.Fatalf("NOOP %d: %q", i, got)
		}
	}
	for _, want := range []string{"250 2.1.0", "250 2.1.5", "354", "250 2.6.0"} {
		if got := r.ReadReply(); !strings.HasPrefix(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	var bodies []string // delivery order is the queue's
	for range 2 {
		bodies = append(bodies, e.local.Wait(t).Body)
	}
	all := strings.Join(bodies, "")
	if !strings.Contains(all, "Subject: one\r\n") || !strings.Contains(all, "Subject: two\r\n") ||
		strings.Count(all, "line of the second body\r\n") != 500 {
		t.Fatalf("delivered %d octets, not the two messages", len(all))
	}
}

// A BDAT whose size cannot be read ends the session: its chunk could not
// be skipped, and would be read as commands.
func TestMalformedBDATCloses(t *testing.T) {
	for _, cmd := range []string{"BDAT 6 LASTX", "BDAT 99999999999999999999 LAST", "BDAT -1"} {
		t.Run(cmd, func(t *testing.T) {
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
			r, _ := smtptest.Dial(t, e.firstAddr(t))
			expect(t, r, txSteps...)
			expect(t, r,
				smtptest.Step{"RAW:" + cmd + "\r\nRSET\r\n", "501 5.5.4"},
			)
			if !r.Closed(quietWait) {
				t.Fatalf("still open: the chunk's octets were read as commands (%q)", r.ReadReply())
			}
		})
	}
}
