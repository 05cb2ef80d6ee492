package smtptest_test

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// In a test, pass t instead of a Standalone.
func ExampleNewSink() {
	tb := new(smtptest.Standalone)
	defer tb.Close()
	sink := smtptest.NewSink(tb, smtptest.Hostname("mx1.fabrikam.com"))

	// The sink offers STARTTLS with a certificate from its own test CA.
	c, err := smtp.DialStartTLS(sink.Addr(), sink.PKI().ClientTLSConfig("mx1.fabrikam.com"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	msg := "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: Quarterly report\r\n\r\nAttached.\r\n"
	if err := c.SendMail("alice@contoso.com", []string{"bob@fabrikam.com"}, strings.NewReader(msg)); err != nil {
		fmt.Println(err)
		return
	}

	m := sink.Messages()[0]
	fmt.Println("from:", m.From)
	fmt.Println("to:", m.To)
	fmt.Println("subject:", m.Header.Get("Subject"))
	fmt.Println("tls:", m.TLS, m.TLSServerName)
	// Output:
	// from: alice@contoso.com
	// to: [bob@fabrikam.com]
	// subject: Quarterly report
	// tls: true mx1.fabrikam.com
}

func ExampleSink_Script() {
	tb := new(smtptest.Standalone)
	defer tb.Close()
	sink := smtptest.NewSink(tb)
	sink.Script("bob@fabrikam.com", "450 4.2.0 mailbox busy", "250 ok")

	c, err := smtp.Dial(sink.Addr())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for range 2 {
		if err := c.Mail("alice@contoso.com", nil); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.Rcpt("bob@fabrikam.com", nil))
		c.Reset()
	}
	// Output:
	// SMTP error 450: mailbox busy
	// <nil>
}

func ExampleNewPKI() {
	tb := new(smtptest.Standalone)
	defer tb.Close()
	pki := smtptest.NewPKI(tb)
	cert := pki.Certificate("mx1.fabrikam.com", "127.0.0.1")

	for _, name := range []string{"mx1.fabrikam.com", "127.0.0.1", "mx2.fabrikam.com"} {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pki.Pool()})
		fmt.Println(name, err == nil)
	}
	// Output:
	// mx1.fabrikam.com true
	// 127.0.0.1 true
	// mx2.fabrikam.com false
}

// A raw client says what a well-behaved client library would not, here
// two pipelined commands, one ending in a bare LF, and watches the server
// hang up. In a test, pass t instead of a Standalone.
func ExampleDial() {
	tb := new(smtptest.Standalone)
	defer tb.Close()
	sink := smtptest.NewSink(tb, smtptest.Hostname("mx1.fabrikam.com"))

	c, greeting := smtptest.Dial(tb, sink.Addr())
	fmt.Println(greeting)
	// A multi-line reply comes back as one string, one line per extension.
	ehlo := strings.Split(c.Cmd("EHLO client.contoso.com"), "\n")
	fmt.Println(ehlo[0], slices.Contains(ehlo, "PIPELINING"))
	err := c.Expect(
		smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@fabrikam.com>", "250"},
		smtptest.Step{"DATA:Subject: hi\r\n\r\nHello Bob.\r\n", "250"},
	)
	fmt.Println("script:", err)
	fmt.Println(c.Send("NOOP\r\nRSET\n"))
	fmt.Println(c.ReadReply())
	fmt.Println(c.Cmd("QUIT"))
	fmt.Println("closed:", c.Closed(5*time.Second))
	fmt.Println("messages:", len(sink.Messages()))
	// Output:
	// 220 mx1.fabrikam.com ESMTP Service Ready
	// 250 Hello client.contoso.com true
	// script: <nil>
	// 250 2.0.0 I have successfully done nothing
	// 250 2.0.0 Session reset
	// 221 2.0.0 Bye
	// closed: true
	// messages: 1
}
