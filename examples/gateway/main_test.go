package main

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func waitOne(t *testing.T, sink *smtptest.Sink) smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return msgs[0]
}

// The benchmark's command line: anonymous relay from 127.0.0.0/8 to any
// recipient through the smart host, with a durable queue.
func TestAnonymousRelay(t *testing.T) {
	sink := smtptest.NewSink(t)
	gw := clitest.Start(t, run, "-mode", "anonymous-relay", "-listen", "127.0.0.1:0", "-smarthost", sink.Addr(),
		"-remote", "127.0.0.0/8", "-queue", t.TempDir(), "-log", "warn")
	if err := clitest.Send(gw.Addr(t, "FromInternetGateway"), clitest.Mail{From: "app@contoso.com", To: "eve@example.net", Subject: "relay"}); err != nil {
		t.Fatal(err)
	}
	m := waitOne(t, sink)
	if m.From != "app@contoso.com" || len(m.To) != 1 || m.To[0] != "eve@example.net" || m.AuthUser != "" {
		t.Errorf("sink got %+v", m)
	}
	if !strings.Contains(gw.Output(), `send connector "ToInternetGateway": [SMTP:*;1] via smart hosts`) {
		t.Errorf("start-up summary:\n%s", gw.Output())
	}
}

// With -selfsigned the connector (Tls, as Custom usage has) offers STARTTLS.
func TestAnonymousRelaySelfSigned(t *testing.T) {
	sink := smtptest.NewSink(t)
	gw := clitest.Start(t, run, "-mode", "anonymous-relay", "-listen", "127.0.0.1:0", "-smarthost", sink.Addr(),
		"-remote", "127.0.0.0/8", "-selfsigned", "-log", "warn")
	if err := clitest.Send(gw.Addr(t, "FromInternetGateway"), clitest.Mail{From: "app@contoso.com", To: "eve@example.net", TLS: true}); err != nil {
		t.Fatal(err)
	}
	waitOne(t, sink)
}

// A client outside -remote matches no receive connector: refused at the banner.
func TestAnonymousRelayOutsideRange(t *testing.T) {
	sink := smtptest.NewSink(t)
	gw := clitest.Start(t, run, "-mode", "anonymous-relay", "-listen", "127.0.0.1:0", "-smarthost", sink.Addr(),
		"-remote", "10.0.0.0/8", "-log", "warn")
	code, msg, err := clitest.Banner(gw.Addr(t, "FromInternetGateway"))
	if code != 554 || !strings.HasPrefix(msg, "5.7.1") {
		t.Fatalf("banner %d %q %v, want 554 5.7.1", code, msg, err)
	}
}

func TestExternal(t *testing.T) {
	sink := smtptest.NewSink(t)
	gw := clitest.Start(t, run, "-mode", "external", "-listen", "127.0.0.1:0", "-smarthost", sink.Addr(),
		"-remote", "127.0.0.1", "-domains", "contoso.com", "-maildir", t.TempDir(), "-log", "warn")
	if err := clitest.Send(gw.Addr(t, "FromInternetGateway"), clitest.Mail{From: "alice@contoso.com", To: "bob@fabrikam.com",
		Header: "X-MS-Exchange-Organization-SCL: -1\r\n"}); err != nil {
		t.Fatal(err)
	}
	if m := waitOne(t, sink); m.To[0] != "bob@fabrikam.com" {
		t.Errorf("sink got %+v", m)
	}
}

func TestBasic(t *testing.T) {
	users := clitest.WriteUsers(t, clitest.User{Name: "smtpgateway@fabrikam.com", Password: "s3cret"})
	pki := smtptest.NewPKI(t)
	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "smtpgateway1.contoso.com"), smtptest.RequireTLS(), smtptest.RequireAuth("hubsvc", "gwpass"))
	dns := mxtest.NewDNS(t, mxtest.A("smtpgateway1.contoso.com", "127.0.0.1"))
	_, port, _ := net.SplitHostPort(sink.Addr())
	cert, key, ca := clitest.WritePKI(t, pki, "huba.contoso.com")
	mailboxes := t.TempDir()
	gw := clitest.Start(t, run, "-mode", "basic", "-listen", "127.0.0.1:0", "-smarthost", "smtpgateway1.contoso.com:"+port, "-dns", dns.Addr(),
		"-smarthost-user", "hubsvc", "-password-file", clitest.WriteFile(t, "pw", "gwpass\n"), "-users", users, "-cert", cert, "-key", key, "-ca", ca,
		"-domains", "contoso.com", "-maildir", mailboxes, "-log", "warn")
	addr := gw.Addr(t, "Default huba.contoso.com")

	// Outbound: anonymous sessions may not relay; the authenticated gateway
	// submits, and the hub logs in to the smart host over verified TLS.
	var perr *textproto.Error
	if err := clitest.Send(addr, clitest.Mail{From: "x@example.org", To: "bob@fabrikam.com", TLS: true}); !errors.As(err, &perr) || perr.Code != 530 {
		t.Fatalf("anonymous submission: %v, want 530", err)
	}
	if err := clitest.Send(addr, clitest.Mail{From: "alice@contoso.com", To: "bob@fabrikam.com", TLS: true,
		User: "smtpgateway@fabrikam.com", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	if m := waitOne(t, sink); !m.TLS || m.AuthUser != "hubsvc" {
		t.Errorf("smart host delivery: TLS %v user %q", m.TLS, m.AuthUser)
	}
	// Inbound from the gateway to a mailbox.
	if err := clitest.Send(addr, clitest.Mail{From: "bob@fabrikam.com", To: "alice@contoso.com", TLS: true,
		User: "smtpgateway@fabrikam.com", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	clitest.WaitMaildir(t, mailboxes, "alice@contoso.com")
}
