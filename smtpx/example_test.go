package smtpx_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
)

// printQueue is the smallest Queue: it numbers messages and prints them.
// *queue.Queue is the durable one.
type printQueue struct {
	n    atomic.Uint64
	done chan struct{}
}

func (q *printQueue) NewID() queue.ID { return queue.ID(fmt.Sprintf("MSG%d", q.n.Add(1))) }

func (q *printQueue) EnqueueWithID(_ context.Context, id queue.ID, env queue.Envelope, body io.Reader) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	fmt.Println("queued", id, "from", env.From, "to", env.Recipients[0].Address, "via", env.ReceiveConnector)
	fmt.Println("subject kept:", strings.Contains(string(b), "\r\nSubject: hello\r\n"))
	close(q.done)
	return nil
}

// An SMTP server on its own: one Internet receive connector that accepts
// mail for contoso.com, refuses to relay, stamps Received and hands each
// message to a Queue.
func ExampleNewServer() {
	fromInternetCfg := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}
	fromInternetCfg.TarpitInterval = 0
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		panic(err)
	}
	q := &printQueue{done: make(chan struct{})}
	s, err := smtpx.NewServer(q, smtpx.WithServerName("mx.contoso.com"),
		smtpx.WithReceiveConnector(fromInternet),
		smtpx.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com"}))
	if err != nil {
		panic(err)
	}
	if err := s.Start(context.Background()); err != nil {
		panic(err)
	}
	defer s.Shutdown(context.Background())

	c, err := smtp.Dial(s.Addr("From Internet").String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Mail("sender@fabrikam.com", nil)
	fmt.Println("relay:", c.Rcpt("someone@fabrikam.com", nil))
	_ = c.Rcpt("bob@contoso.com", nil)
	w, _ := c.Data()
	fmt.Fprint(w, "Subject: hello\r\n\r\nHi Bob.\r\n")
	resp, err := w.CloseWithResponse()
	if err != nil {
		panic(err)
	}
	<-q.done
	fmt.Println("data:", resp.StatusText)
	// Output:
	// relay: SMTP error 550: Unable to relay
	// queued MSG1 from sender@fabrikam.com to bob@contoso.com via From Internet
	// subject kept: true
	// data: 2.6.0 <MSG1> Queued mail for delivery
}
