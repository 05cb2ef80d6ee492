package smtpx_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testPKI issues the certificates of every test; it lives in memory.
var testPKI = smtptest.NewPKI(&smtptest.Standalone{})

const (
	serverName = "hub01.contoso.com"
	loopback   = "127.0.0.1:0"
)

var contoso = []routing.AcceptedDomain{
	{Domain: "contoso.com", Type: routing.Authoritative},
	{Domain: "relay.contoso.com", Type: routing.InternalRelay},
}

// env is a started transport with recording deliverers.
type env struct {
	names  []string // receive connector names
	tr     *transport.Transport
	local  *smtptest.Recorder
	remote *smtptest.Recorder
	events *smtptest.Events[transport.Event]
}

func start(t *testing.T, opts ...transport.Option) *env {
	t.Helper()
	e := &env{local: smtptest.NewRecorder(), remote: smtptest.NewRecorder(), events: &smtptest.Events[transport.Event]{}}
	base := []transport.Option{transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
		transport.WithLocalDelivery(e.local), transport.WithDeliverer(e.remote), transport.WithTrace(e.events.Add)}
	e.tr = smtptest.NewTransport(t, append(base, opts...)...)
	for _, rc := range e.tr.ReceiveConnectors() {
		e.names = append(e.names, rc.Name())
	}
	return e
}

// firstAddr is the address of the first receive connector that listens.
func (e *env) firstAddr(t *testing.T) string {
	t.Helper()
	for _, name := range e.names {
		if a := e.tr.Addr(name); a != nil {
			return a.String()
		}
	}
	t.Fatal("no listening connector")
	return ""
}

// addr is the address of the named connector.
func (e *env) addr(t *testing.T, name string) string {
	t.Helper()
	a := e.tr.Addr(name)
	if a == nil {
		t.Fatalf("no address for connector %q", name)
	}
	return a.String()
}

// ofKind selects the trace events of kind k.
func ofKind(k smtpx.EventKind) func(transport.Event) bool {
	return func(e transport.Event) bool { return e.Kind == k }
}

// quietWait bounds how long a test watches a connection the server should
// be done with. The assertions here fail only when the server sends more
// (smtptest.StateData): a close and silence both pass.
const quietWait = 5 * time.Second

func message(headers ...string) string {
	return strings.Join(headers, "\r\n") + "\r\n\r\nHello.\r\n"
}
