package clitest

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mx/mxtest"
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
	dns := mxtest.NewDNS(t, mxtest.A("hub01.contoso.com", "127.0.0.1"), mxtest.A("edge01.contoso.net", "127.0.0.1"),
		mxtest.MX("fabrikam.com", 10, "mx.fabrikam.com"), mxtest.A("mx.fabrikam.com", "127.0.0.1"))
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

// CheckMailFlow sends through a running pair the mail of seed 001 and
// checks what the organization promises: Internet mail from InternetIP
// reaches Alice still Anonymous, from the edge, with both Received fields
// and without a forged SCL; anonymous Internet clients may not relay;
// Alice's mail to the Internet leaves through the edge without the
// organization's fields but with both Received fields. Only EdgeAddr,
// HubAddr, Maildir and Internet of p are used.
func (p *Pair) CheckMailFlow(t *testing.T) {
	t.Helper()
	if err := SendPython(t, p.EdgeAddr, Mail{LocalIP: InternetIP, From: "bob@fabrikam.com",
		To: "alice@contoso.com", Subject: "inbound", Header: "X-MS-Exchange-Organization-SCL: -1\r\n"}); err != nil {
		t.Fatal(err)
	}
	h := Header(t, WaitMaildir(t, p.Maildir, "alice@contoso.com"))
	if h.Get("Subject") != "inbound" || h.Get("X-MS-Exchange-Organization-SCL") != "" {
		t.Errorf("delivered header: %v", h)
	}
	if as, src := h.Get("X-MS-Exchange-Organization-AuthAs"), h.Get("X-MS-Exchange-Organization-AuthSource"); as != "Anonymous" || src != "edge01.contoso.net" {
		t.Errorf("AuthAs %q, AuthSource %q; want Anonymous, edge01.contoso.net", as, src)
	}
	if !ReceivedBy(h, "edge01.contoso.net") || !ReceivedBy(h, "hub01.contoso.com") {
		t.Errorf("Received fields %q, want the edge's and the hub's", h["Received"])
	}

	var perr *textproto.Error
	err := Send(p.EdgeAddr, Mail{LocalIP: InternetIP, From: "spam@example.org", To: "eve@example.net"})
	if !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.7.1") {
		t.Fatalf("relay attempt: %v, want 550 5.7.1", err)
	}

	if err := SendPython(t, p.HubAddr, Mail{From: "alice@contoso.com", To: "bob@fabrikam.com", Subject: "outbound",
		TLS: true, User: Alice.Name, Password: Alice.Password}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := p.Internet.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.To[0] != "bob@fabrikam.com" || m.Header.Get("Subject") != "outbound" || strings.Contains(string(m.Body), "X-MS-Exchange-Organization-") {
		t.Errorf("Internet got %+v\n%s", m, m.Body)
	}
	if h := Header(t, string(m.Body)); !ReceivedBy(h, "hub01.contoso.com") || !ReceivedBy(h, "edge01.contoso.net") {
		t.Errorf("Internet got Received fields %q, want the hub's and the edge's", h["Received"])
	}
}
