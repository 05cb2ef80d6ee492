package deliver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// loginOnly is a go-smtp backend that offers only AUTH LOGIN, as the
// reference system's receive connectors do for basic authentication, and
// records who logged in.
type loginOnly struct {
	mu    sync.Mutex
	users []string
	mails int
}

type loginSession struct {
	b    *loginOnly
	user string
}

func (b *loginOnly) NewSession(*smtp.Conn) (smtp.Session, error) { return &loginSession{b: b}, nil }

func (s *loginSession) AuthMechanisms() []string { return []string{auth.MechLogin} }

func (s *loginSession) Auth(string) (sasl.Server, error) {
	users := auth.NewStatic(map[string]string{"svc": "s3cret"})
	return auth.NewLoginServer(context.Background(), users, func(id auth.Identity) {
		s.user = id.Username
		s.b.mu.Lock()
		s.b.users = append(s.b.users, id.Username)
		s.b.mu.Unlock()
	}), nil
}

func (s *loginSession) Mail(string, *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *loginSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *loginSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.b.mu.Lock()
	s.b.mails++
	s.b.mu.Unlock()
	return err
}
func (s *loginSession) Reset()        {}
func (s *loginSession) Logout() error { return nil }

func TestBasicAuthLoginOnlyServer(t *testing.T) {
	pki := smtptest.NewPKI(t)
	b := &loginOnly{}
	srv := smtp.NewServer(b)
	srv.Domain = "mail.fabrikam.com"
	srv.TLSConfig = pki.ServerTLSConfig("mail.fabrikam.com")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Error(err)
		}
	})
	dns := mxtest.NewDNS(t, mxtest.A("mail.fabrikam.com", "127.0.0.1"))
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	sc := smtptest.SendConnector(t, "Login", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("mail.fabrikam.com:" + p)}
		c.DNSRoutingEnabled = false
		c.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		c.AuthenticationCredential = connector.Credential{UserName: "svc", Password: "s3cret"}
	})
	rec := &smtptest.Events[deliver.Event]{}
	d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithResolver(newResolver(t, dns)),
		deliver.WithRootCAs(pki.Pool()), deliver.WithTrace(rec.Add))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	if res, err := h.send(queue.Envelope{}, testBody); err != nil || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if a := rec.Filter(kindIs(deliver.EventAuth)); len(a) != 1 || a[0].Mechanism != "LOGIN" {
		t.Fatalf("auth events %+v", a)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.users) != 1 || b.users[0] != "svc" || b.mails != 1 {
		t.Fatalf("server saw users %v, %d mails", b.users, b.mails)
	}
}
