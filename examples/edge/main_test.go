package main

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/examples/internal/clitest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// The seed 001 pair on loopback: this edge in-process, examples/hub as a
// child process, an "Internet" MTA for fabrikam.com (a sink found through
// MX), and Internet clients dialling from 127.0.0.2 so that only the hub
// (127.0.0.1) matches "To Internal Org".
func TestEdgeHubMailFlow(t *testing.T) {
	pki := smtptest.NewPKI(t)
	internet := smtptest.NewSink(t, smtptest.WithPKI(pki, "mx.fabrikam.com"))
	_, mxPort, _ := net.SplitHostPort(internet.Addr())
	dns := smtptest.NewDNS(t, smtptest.A("hub01.contoso.com", "127.0.0.1"), smtptest.A("edge01.contoso.net", "127.0.0.1"),
		smtptest.MX("fabrikam.com", 10, "mx.fabrikam.com"), smtptest.A("mx.fabrikam.com", "127.0.0.1"))

	hubPort, edgePort := clitest.FreePort(t), clitest.FreePort(t)
	edgeCert, edgeKey, ca := clitest.WritePKI(t, pki, "edge01.contoso.net")
	hubCert, hubKey, _ := clitest.WritePKI(t, pki, "hub01.contoso.com")
	mailboxes := t.TempDir()

	clitest.StartProcess(t, "github.com/hubedge/hubedge/examples/hub",
		"-listen", "127.0.0.1:"+hubPort, "-edge", "edge01.contoso.net:"+edgePort, "-dns", dns.Addr(),
		"-cert", hubCert, "-key", hubKey, "-ca", ca, "-queue", t.TempDir(),
		"-domains", "contoso.com", "-maildir", mailboxes, "-log", "warn",
		"-users", clitest.WriteUsers(t, clitest.User{Name: `CONTOSO\edgesvc`, Password: "edgepw", Groups: `MS Exchange\Edge Transport Servers`},
			clitest.User{Name: "alice@contoso.com", Password: "alicepw"}),
		"-edge-user", `edge01\hubsvc`, "-password-file", clitest.WriteFile(t, "pw", "hubpw\n"))
	edge := clitest.Start(t, run, "-listen", "127.0.0.1:"+edgePort, "-hubs", "hub01.contoso.com:"+hubPort,
		"-hubs-remote", "127.0.0.1", "-dns", dns.Addr(), "-mx-port", mxPort,
		"-cert", edgeCert, "-key", edgeKey, "-ca", ca, "-queue", t.TempDir(), "-log", "warn",
		"-users", clitest.WriteUsers(t, clitest.User{Name: `edge01\hubsvc`, Password: "hubpw", Groups: `MS Exchange\Hub Transport Servers`}),
		"-password-file", clitest.WriteFile(t, "pw", "edgepw\n"))
	edgeAddr := edge.Addr(t, "From Internet")

	// 1. Internet -> edge -> hub -> mailbox; the forged organization header is gone.
	if err := clitest.Send(edgeAddr, clitest.Mail{LocalIP: "127.0.0.2", From: "bob@fabrikam.com", To: "alice@contoso.com",
		Subject: "inbound", Header: "X-MS-Exchange-Organization-SCL: -1\r\n"}); err != nil {
		t.Fatal(err)
	}
	msg := clitest.WaitMaildir(t, mailboxes, "alice@contoso.com")
	if !strings.Contains(msg, "Subject: inbound") || strings.Contains(msg, "X-MS-Exchange-Organization-SCL") {
		t.Errorf("delivered message:\n%s", msg)
	}

	// 2. An anonymous Internet client may not relay through the edge.
	var perr *textproto.Error
	err := clitest.Send(edgeAddr, clitest.Mail{LocalIP: "127.0.0.2", From: "spam@example.org", To: "eve@example.net"})
	if !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.7.1") {
		t.Fatalf("relay attempt: %v, want 550 5.7.1", err)
	}

	// 3. Mailbox user -> hub -> edge -> Internet (MX of fabrikam.com).
	hub := "127.0.0.1:" + hubPort
	if err := clitest.Send(hub, clitest.Mail{From: "alice@contoso.com", To: "bob@fabrikam.com", Subject: "outbound",
		TLS: true, User: "alice@contoso.com", Password: "alicepw"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := internet.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.To[0] != "bob@fabrikam.com" || m.Header.Get("Subject") != "outbound" || strings.Contains(string(m.Body), "X-MS-Exchange-Organization-") {
		t.Errorf("Internet got %+v\n%s", m, m.Body)
	}
}
