package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/transport"
)

// An Internet-facing transport that accepts mail for contoso.com and hands it
// to local delivery, refusing to relay.
func ExampleNew() {
	fromInternetCfg := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		panic(err)
	}
	mailboxes := make(chan queue.NextHop, 1)
	local := queue.DelivererFunc(func(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		mailboxes <- hop
		return []queue.Result{{Code: 250, Enhanced: "2.0.0", Text: "delivered"}}, nil
	})
	t, err := transport.New(
		transport.WithServerName("hub01.contoso.com"),
		transport.WithReceiveConnector(fromInternet),
		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com"}),
		transport.WithLocalDelivery(local),
		transport.WithMemoryQueue()) // a real hub: transport.WithQueueDir
	if err != nil {
		panic(err)
	}
	if err := t.Start(context.Background()); err != nil {
		panic(err)
	}
	defer t.Shutdown(context.Background())

	c, err := smtp.Dial(t.Addr("From Internet").String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Mail("sender@fabrikam.com", nil)
	fmt.Println("relay:", c.Rcpt("someone@fabrikam.com", nil))
	fmt.Println("local:", c.Rcpt("bob@contoso.com", nil))
	w, _ := c.Data()
	fmt.Fprint(w, "Subject: hello\r\n\r\nHi Bob.\r\n")
	resp, err := w.CloseWithResponse()
	if err != nil {
		panic(err)
	}
	fmt.Println("data:", strings.HasPrefix(resp.StatusText, "2.6.0 <"), strings.HasSuffix(resp.StatusText, "> Queued mail for delivery"))
	hop := <-mailboxes
	fmt.Println("delivered:", hop.Kind, hop.Domain)
	// Output:
	// relay: SMTP error 550: Unable to relay
	// local: <nil>
	// data: true true
	// delivered: MailboxDelivery contoso.com
}

// A running transport takes a new configuration: here fabrikam.com
// becomes an accepted domain. Connections made after Reconfigure see it;
// the listening socket stays the same.
func ExampleTransport_Reconfigure() {
	rcCfg := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}
	rcCfg.TarpitInterval = 0
	rc, err := rcCfg.Build()
	if err != nil {
		panic(err)
	}
	contoso := routing.AcceptedDomain{Domain: "contoso.com"}
	t, err := transport.New(transport.WithServerName("hub01.contoso.com"), transport.WithMemoryQueue(),
		transport.WithReceiveConnector(rc), transport.WithAcceptedDomain(contoso))
	if err != nil {
		panic(err)
	}
	if err := t.Start(context.Background()); err != nil {
		panic(err)
	}
	defer t.Shutdown(context.Background())
	rcpt := func() error {
		c, err := smtp.Dial(t.Addr("From Internet").String())
		if err != nil {
			panic(err)
		}
		defer c.Close()
		_ = c.Mail("sender@example.org", nil)
		return c.Rcpt("bob@fabrikam.com", nil)
	}
	fmt.Println("before:", rcpt())
	err = t.Reconfigure(context.Background(), transport.Config{
		ReceiveConnectors: t.ReceiveConnectors(),
		AcceptedDomains:   []routing.AcceptedDomain{contoso, {Domain: "fabrikam.com"}},
	})
	fmt.Println("reconfigured:", err)
	fmt.Println("after:", rcpt())
	// Output:
	// before: SMTP error 550: Unable to relay
	// reconfigured: <nil>
	// after: <nil>
}

// Back pressure with an injected probe: a disk with 100 MiB free is at
// High pressure under the default levels, and MAIL is refused.
func ExampleWithBackPressure() {
	rcCfg := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}
	rc, err := rcCfg.Build()
	if err != nil {
		panic(err)
	}
	nearlyFull := func(context.Context) (smtpx.Resources, error) {
		return smtpx.Resources{DiskSize: 100 << 30, DiskFree: 100 << 20}, nil
	}
	t, err := transport.New(transport.WithServerName("hub01.contoso.com"), transport.WithMemoryQueue(),
		transport.WithReceiveConnector(rc), transport.WithBackPressure(smtpx.BackPressure{Probe: nearlyFull}))
	if err != nil {
		panic(err)
	}
	if err := t.Start(context.Background()); err != nil {
		panic(err)
	}
	defer t.Shutdown(context.Background())
	fmt.Println("pressure:", t.Pressure())
	c, err := smtp.Dial(t.Addr("From Internet").String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Println("mail:", c.Mail("sender@example.org", nil))
	// Output:
	// pressure: High
	// mail: SMTP error 452: Insufficient system resources
}

// spamScorer is a user's own content filter: a message that says "viagra"
// is spam.
type spamScorer struct{}

func (spamScorer) Score(_ context.Context, e *agent.MessageEvent) (int, error) {
	b, err := io.ReadAll(e.Body)
	if err != nil {
		return 0, err
	}
	if strings.Contains(strings.ToLower(string(b)), "viagra") {
		return 9, nil
	}
	return 0, nil
}

// An edge that runs the Content Filter agent on From Internet: a message
// its Scorer rates SCL 7 or more is rejected at the end of DATA, before
// anything is queued.
func ExampleWithAgents() {
	fromInternetCfg := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}
	fromInternetCfg.TarpitInterval = 0
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		panic(err)
	}
	cfg := contentfilter.DefaultConfig() // rejects at SCL 7 and above
	cfg.Scorer = spamScorer{}
	filter, err := contentfilter.New(cfg)
	if err != nil {
		panic(err)
	}
	chain := agent.New()
	if err := chain.Register(contentfilter.Name, filter, agent.Priority(contentfilter.Priority),
		agent.Connectors("From Internet")); err != nil {
		panic(err)
	}
	discard := queue.DelivererFunc(func(_ context.Context, _ queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		return make([]queue.Result, len(rcpts)), nil
	})
	t, err := transport.New(
		transport.WithServerName("edge01.contoso.com"),
		transport.WithReceiveConnector(fromInternet),
		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com"}),
		transport.WithLocalDelivery(discard),
		transport.WithMemoryQueue(),
		transport.WithAgents(chain))
	if err != nil {
		panic(err)
	}
	if err := t.Start(context.Background()); err != nil {
		panic(err)
	}
	defer t.Shutdown(context.Background())

	c, err := smtp.Dial(t.Addr("From Internet").String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for _, body := range []string{"Lunch at noon?", "Cheap viagra!"} {
		err := c.SendMail("sender@fabrikam.com", []string{"bob@contoso.com"}, strings.NewReader("Subject: hi\r\n\r\n"+body+"\r\n"))
		fmt.Printf("%q: %v\n", body, err)
	}
	// Output:
	// "Lunch at noon?": <nil>
	// "Cheap viagra!": SMTP error 550: Message rejected due to content restrictions
}
