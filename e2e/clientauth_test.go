package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Through a whole Transport, a BasicAuthRequireTLS send connector whose
// smart host shows a certificate for another name never sends credentials:
// the smart host's transcript holds STARTTLS and no AUTH line (nor the
// password in any encoding), and the message stays queued, deferred 4.7.x.
func TestNoCredentialsBeforeCertificateCheck(t *testing.T) {
	ca := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(ca, "wrong.example"), smtptest.RequireAuth("svc", "s3cret"))
	// The smart host goes by name (the certificate is checked against it);
	// the transport's resolver maps the name to the sink.
	dns := mxtest.NewDNS(t, mxtest.A("mail.fabrikam.com", "127.0.0.1"))
	res, err := mx.New(mx.WithServers(dns.Addr()), mx.WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(sink.Addr(), ":")
	l := newQlog()
	a, _ := relayHub(t, l, []func(*connector.SendConfig){func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("mail.fabrikam.com:" + port)}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
	}},
		transport.WithDeliverOptions(deliver.WithRootCAs(ca.Pool())), transport.WithDeliverOptions(deliver.WithResolver(res)))
	send(t, a, "x@fabrikam.com")
	e := l.wait(t, queue.EventDefer, 2)
	if n := l.count(queue.EventFail) + l.count(queue.EventDeliver); n != 0 {
		t.Fatalf("the message left the queue:\n%s", l)
	}
	if !strings.Contains(l.String(), "4.7.") {
		t.Errorf("deferral is not 4.7.x: %+v\n%s", e, l)
	}
	sink.Stop()
	tr := sink.Transcript()
	if !strings.Contains(tr, "STARTTLS") {
		t.Fatalf("no STARTTLS in the transcript:\n%s", tr)
	}
	for _, secret := range []string{"AUTH", "s3cret", plainAuth("svc", "s3cret"), b64("svc"), b64("s3cret")} {
		if strings.Contains(strings.ToUpper(tr), strings.ToUpper(secret)) {
			t.Errorf("%q reached the smart host:\n%s", secret, tr)
		}
	}
	if got := sink.Messages(); len(got) != 0 {
		t.Errorf("the smart host got %d messages", len(got))
	}
}
