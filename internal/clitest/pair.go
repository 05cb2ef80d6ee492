package clitest

import (
	"context"
	"net"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// Pair is the edge/hub pair of examples/edge and examples/hub, each running
// as a process of its own the way an administrator starts them: one test
// CA with leaves for edge01.contoso.net and hub01.contoso.com, users files
// putting each server's account in the other's Exchange servers group, and
// an Internet MTA for fabrikam.com found through MX. Internet clients dial
// from InternetIP so that only the hub (127.0.0.1) matches the edge's
// "To Internal Org" receive connector.
type Pair struct {
	Edge, Hub *Server
	EdgeAddr  string // the edge's "From Internet"
	HubAddr   string // the hub's default receive connector
	Maildir   string // the hub's mailboxes
	EdgeQueue string
	HubQueue  string
	Internet  *smtptest.Sink
}

// InternetIP is the loopback address Internet clients of a Pair dial from.
const InternetIP = "127.0.0.9"

// Alice is the mailbox user of a Pair's hub (password "alicepw").
var Alice = User{Name: "alice@contoso.com", Password: "alicepw"}

// StartPair builds and starts the pair. Alice is the hub's only mailbox.
func StartPair(t *testing.T) *Pair {
	t.Helper()
	pki := smtptest.NewPKI(t)
	p := &Pair{Internet: smtptest.NewSink(t, smtptest.Hostname("mx.fabrikam.com"), smtptest.WithPKI(pki, "mx.fabrikam.com"))}
	_, mxPort, _ := net.SplitHostPort(p.Internet.Addr())
	dns := smtptest.NewDNS(t, smtptest.A("hub01.contoso.com", "127.0.0.1"), smtptest.A("edge01.contoso.net", "127.0.0.1"),
		smtptest.MX("fabrikam.com", 10, "mx.fabrikam.com"), smtptest.A("mx.fabrikam.com", "127.0.0.1"))
	hubPort, edgePort := FreePort(t), FreePort(t)
	edgeCert, edgeKey, ca := WritePKI(t, pki, "edge01.contoso.net")
	hubCert, hubKey, _ := WritePKI(t, pki, "hub01.contoso.com")
	p.Maildir, p.EdgeQueue, p.HubQueue = t.TempDir(), t.TempDir(), t.TempDir()
	hubArgs := []string{"-listen", "127.0.0.1:" + hubPort, "-edge", "edge01.contoso.net:" + edgePort, "-dns", dns.Addr(),
		"-cert", hubCert, "-key", hubKey, "-ca", ca, "-queue", p.HubQueue,
		"-domains", "contoso.com", "-maildir", p.Maildir, "-log", "warn", "-users", WriteUsers(t, User{Name: `CONTOSO\edgesvc`, Password: "edgepw", Groups: `MS Exchange\Edge Transport Servers`}, Alice), "-mailboxes", WriteFile(t, "mailboxes", Alice.Name+"\n"),
		"-edge-user", `edge01\hubsvc`, "-password-file", WriteFile(t, "pw", "hubpw\n")}
	edgeArgs := []string{"-listen", "127.0.0.1:" + edgePort, "-hubs", "hub01.contoso.com:" + hubPort,
		"-hubs-remote", "127.0.0.1", "-dns", dns.Addr(), "-mx-port", mxPort,
		"-cert", edgeCert, "-key", edgeKey, "-ca", ca, "-queue", p.EdgeQueue, "-log", "warn",
		"-users", WriteUsers(t, User{Name: `edge01\hubsvc`, Password: "hubpw", Groups: `MS Exchange\Hub Transport Servers`}),
		"-password-file", WriteFile(t, "pw", "edgepw\n")}
	p.Hub = StartProcess(t, "github.com/hubedge/hubedge/examples/hub", hubArgs...)
	p.Edge = StartProcess(t, "github.com/hubedge/hubedge/examples/edge", edgeArgs...)
	p.EdgeAddr = p.Edge.Addr(t, "From Internet")
	p.HubAddr = "127.0.0.1:" + hubPort
	return p
}

// Stop stops both servers (SIGTERM) and waits for them to exit; the test's
// cleanup reports an unclean exit.
func (p *Pair) Stop() {
	_ = p.Edge.Stop()
	_ = p.Hub.Stop()
}

// Queued opens the durable queue in dir, whose server must have stopped,
// and returns the messages it holds.
func Queued(t *testing.T, dir string) []queue.MessageInfo {
	t.Helper()
	q, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	return q.Messages(queue.Filter{})
}
