package smtptest_test

import (
	"fmt"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// The first test of a transport: a message in through a receive connector,
// out through a smart host, seen at the sink. In a test, pass t for tb.
func ExampleNewTransport() {
	tb := &smtptest.Standalone{}
	defer tb.Close()
	sink := smtptest.NewSink(tb)
	apps := smtptest.CustomConnector(tb, "From Apps", smtptest.AnonymousRelay)
	out := smtptest.SendConnector(tb, "To Sink", connector.UsageInternet, "*", smtptest.SmartHost(sink))
	tr := smtptest.NewTransport(tb, transport.WithServerName("hub01.contoso.com"),
		transport.WithReceiveConnector(apps), transport.WithSendConnector(out))

	smtptest.SendMail(tb, tr.Addr("From Apps").String(), "app@contoso.com", []string{"bob@fabrikam.com"},
		"Subject: hello\r\n\r\nHi Bob.\r\n")
	m := sink.Wait(tb, 1)[0]
	fmt.Println(m.From, m.To, m.Header.Get("Subject"))
	// Output: app@contoso.com [bob@fabrikam.com] hello
}
