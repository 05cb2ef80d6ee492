package local_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/local"
)

// mailboxServer is a toy LMTP mailbox server that knows only bob.
type mailboxServer struct{}

func (mailboxServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{}, nil }

type mailboxSession struct{}

func (*mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to != "bob@contoso.com" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	}
	return nil
}
func (*mailboxSession) Data(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
func (*mailboxSession) Reset()                 {}
func (*mailboxSession) Logout() error          { return nil }

// LMTP hands local mail to a mailbox server (here an in-process go-smtp
// LMTP server on a loopback port; typically Dovecot on a unix socket).
func ExampleLMTP() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := smtp.NewServer(mailboxServer{})
	srv.LMTP, srv.Domain = true, "mbx01.contoso.com"
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() { srv.Close(); <-done }()

	lmtp, err := local.NewLMTP("tcp", ln.Addr().String(), local.WithLocalName("hub01.contoso.com"))
	if err != nil {
		panic(err)
	}
	// The queue normally calls the adapter with a stored message; a
	// recipient the server refuses at RCPT gets the server's own reply.
	msg := &queue.Message{Envelope: queue.Envelope{From: "alice@fabrikam.com"}}
	res, err := lmtp.Deliver(context.Background(), local.Hop("contoso.com"), msg,
		[]queue.Recipient{{Address: "mallory@contoso.com"}})
	fmt.Println(res, err)
	// Output:
	// [550 5.1.1 User unknown] <nil>
}
