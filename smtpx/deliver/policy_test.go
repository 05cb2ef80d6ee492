package deliver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// smartHostByName serves "mail.fabrikam.com:port" from the fake DNS so the
// policy checks the certificate against an FQDN, as the reference system
// requires for BasicAuthRequireTLS.
func smartHostByName(t *testing.T, sink *smtptest.Sink) (string, *mxtest.DNS) {
	dns := mxtest.NewDNS(t, mxtest.A("mail.fabrikam.com", "127.0.0.1"))
	_, p, _ := strings.Cut(sink.Addr(), ":")
	return "mail.fabrikam.com:" + p, dns
}

func TestRequireTLSNotOfferedDefers(t *testing.T) {
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	sc := smtptest.SendConnector(t, "Secure", connector.UsageCustom, "*", smtptest.SmartHost(sink), func(c *connector.SendConfig) {
		c.RequireTLS = true
	})
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || !errors.Is(err, auth.ErrStartTLSRequired) {
		t.Fatalf("res=%v err=%v", res, err)
	}
	if he.EnhancedCode() != "4.7.10" || !he.Temporary() {
		t.Fatalf("status %d %s", he.Code(), he.EnhancedCode())
	}
	tr := sink.Transcript()
	if strings.Contains(tr, "MAIL FROM") || strings.Contains(tr, "RCPT") || len(sink.Messages()) != 0 {
		t.Fatalf("plaintext transaction reached the sink:\n%s", tr)
	}
}

func TestBasicAuthRequireTLSWrongCertificateNeverSendsAuth(t *testing.T) {
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "other.fabrikam.com"), smtptest.RequireAuth("svc", "s3cret"))
	host, dns := smartHostByName(t, sink)
	sc := smtptest.SendConnector(t, "Auth", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
	})
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithRootCAs(pki.Pool()))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || !errors.Is(err, deliver.ErrTLS) || he.EnhancedCode() != "4.7.5" {
		t.Fatalf("res=%v err=%v", res, err)
	}
	sink.Stop()
	tr := sink.Transcript()
	if !strings.Contains(tr, "STARTTLS") {
		t.Fatalf("no STARTTLS in transcript:\n%s", tr)
	}
	if strings.Contains(strings.ToUpper(tr), "AUTH") || strings.Contains(tr, "s3cret") || strings.Contains(tr, "c3ZjAHN2YwBzM2NyZXQ") {
		t.Fatalf("credentials reached the sink:\n%s", tr)
	}
}

func TestBasicAuthOverSTARTTLS(t *testing.T) {
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "mail.fabrikam.com"), smtptest.RequireTLS(), smtptest.RequireAuth("svc", "s3cret"))
	host, dns := smartHostByName(t, sink)
	for _, mech := range []auth.SmartHostAuth{auth.SmartHostBasicAuthRequireTLS, auth.SmartHostBasicAuth} {
		t.Run(mech.String(), func(t *testing.T) {
			sc := smtptest.SendConnector(t, "Auth", connector.UsageCustom, "*", func(c *connector.SendConfig) {
				c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
				c.DNSRoutingEnabled = false
				c.SmartHostAuthMechanism = mech
				c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
			})
			rec := &smtptest.Events[deliver.Event]{}
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)),
				deliver.WithRootCAs(pki.Pool()), deliver.WithTrace(rec.Add))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			msgs := sink.Messages()
			m := msgs[len(msgs)-1]
			if !m.TLS || m.AuthUser != "svc" || m.AuthMechanism != "PLAIN" || m.TLSServerName != "mail.fabrikam.com" {
				t.Fatalf("message facts %+v", m)
			}
			tlsEv := rec.Filter(kindIs(deliver.EventTLS))
			if len(tlsEv) != 1 || tlsEv[0].TLSVersion == "" {
				t.Fatalf("tls events %+v", tlsEv)
			}
			if mech == auth.SmartHostBasicAuthRequireTLS && tlsEv[0].VerifiedName != "mail.fabrikam.com" {
				t.Fatalf("verified name %q", tlsEv[0].VerifiedName)
			}
			if a := rec.Filter(kindIs(deliver.EventAuth)); len(a) != 1 || a[0].Mechanism != "PLAIN" {
				t.Fatalf("auth events %+v", a)
			}
		})
	}
}

func TestAuthRejectedFailsOver(t *testing.T) {
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "mail.fabrikam.com"), smtptest.RequireAuth("svc", "other"))
	host, dns := smartHostByName(t, sink)
	sc := smtptest.SendConnector(t, "Auth", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(host)}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
	})
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)), deliver.WithRootCAs(pki.Pool()))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	var he *deliver.HopError
	if res != nil || !errors.As(err, &he) || he.Attempts[0].Enhanced != "4.7.0" {
		t.Fatalf("res=%v err=%v", res, err)
	}
	if strings.Contains(sink.Transcript(), "MAIL FROM") {
		t.Fatal("MAIL sent after failed AUTH")
	}
}
