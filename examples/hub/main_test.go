package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/cli"
	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// The hub alone, with a sink standing in for the edge (TLS and AUTH
// required, as the edge's "To Internal Org" connector does). The pair is
// tested end to end in examples/edge.
func TestHub(t *testing.T) {
	pki := smtptest.NewPKI(t)
	edge := smtptest.NewSink(t, smtptest.WithPKI(pki, "edge01.contoso.net"), smtptest.RequireTLS(), smtptest.RequireAuth(`edge01\hubsvc`, "hubpw"))
	_, edgePort, _ := net.SplitHostPort(edge.Addr())
	dns := mxtest.NewDNS(t, mxtest.A("edge01.contoso.net", "127.0.0.1"))
	cert, key, ca := clitest.WritePKI(t, pki, "hub01.contoso.com")
	mailboxes := t.TempDir()
	hub := clitest.Start(t, run, "-listen", "127.0.0.1:0", "-edge", "edge01.contoso.net:"+edgePort, "-dns", dns.Addr(),
		"-cert", cert, "-key", key, "-ca", ca, "-queue", t.TempDir(), "-domains", "contoso.com", "-maildir", mailboxes,
		"-users", clitest.WriteUsers(t, clitest.User{Name: "alice@contoso.com", Password: "alicepw"}),
		"-password-file", clitest.WriteFile(t, "pw", "hubpw\n"), "-log", "warn")
	addr := hub.Addr(t, "Default hub01.contoso.com")
	alice := clitest.Mail{From: "alice@contoso.com", TLS: true, User: "alice@contoso.com", Password: "alicepw"}

	// Anonymous clients get nothing from the default connector.
	var perr *textproto.Error
	if err := clitest.Send(addr, clitest.Mail{From: "x@example.org", To: "alice@contoso.com", TLS: true}); !errors.As(err, &perr) || perr.Code != 530 {
		t.Fatalf("anonymous: %v, want 530", err)
	}
	// A mailbox user writes to a colleague (local) and to the Internet (via the edge).
	alice.To, alice.Subject = "carol@contoso.com", "local"
	if err := clitest.Send(addr, alice); err != nil {
		t.Fatal(err)
	}
	if msg := clitest.WaitMaildir(t, mailboxes, "carol@contoso.com"); !strings.Contains(msg, "Subject: local") {
		t.Errorf("mailbox got:\n%s", msg)
	}
	alice.To, alice.Subject = "bob@fabrikam.com", "outbound"
	if err := clitest.Send(addr, alice); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msgs, err := edge.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m := msgs[0]; !m.TLS || m.AuthUser != `edge01\hubsvc` || m.To[0] != "bob@fabrikam.com" {
		t.Errorf("edge got %+v", m)
	}
}

// A second server on the same queue directory names the first and starts
// nothing, not even its banner.
func TestHubQueueInUse(t *testing.T) {
	queue := t.TempDir()
	args := []string{"-listen", "127.0.0.1:0", "-selfsigned", "-queue", queue, "-domains", "contoso.com", "-maildir", t.TempDir(),
		"-users", clitest.WriteUsers(t, clitest.Alice), "-log", "warn"}
	clitest.Start(t, run, args...)
	var out strings.Builder
	err := run(context.Background(), args, &out)
	if !errors.Is(err, cli.ErrQueueInUse) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Fatalf("second server: %v, want %v naming pid %d", err, cli.ErrQueueInUse, os.Getpid())
	}
	if out.Len() != 0 {
		t.Errorf("second server printed %q before failing", out.String())
	}
}

// With the users file as -mailboxes, an unknown user is refused at RCPT,
// before anything is queued or a Maildir created.
func TestHubUnknownRecipient(t *testing.T) {
	mailboxes, users := t.TempDir(), clitest.WriteUsers(t, clitest.Alice)
	hub := clitest.Start(t, run, "-listen", "127.0.0.1:0", "-selfsigned", "-domains", "contoso.com", "-maildir", mailboxes,
		"-users", users, "-mailboxes", users, "-log", "warn")
	alice := clitest.Mail{From: "alice@contoso.com", To: "nobody@contoso.com", TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password}
	var perr *textproto.Error
	if err := clitest.Send(hub.Addr(t, "Default hub01.contoso.com"), alice); !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.1.1") {
		t.Fatalf("unknown recipient: %v, want 550 5.1.1", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(mailboxes, "contoso.com")); len(ents) != 0 {
		t.Errorf("mailbox directories created: %v", ents)
	}
}

// -protocol-log keeps every session's commands and replies, without the
// password.
func TestHubProtocolLog(t *testing.T) {
	logs := t.TempDir()
	hub := clitest.StartProcess(t, "github.com/hubedge/hubedge/examples/hub", "-listen", "127.0.0.1:0", "-selfsigned",
		"-domains", "contoso.com", "-maildir", t.TempDir(), "-users", clitest.WriteUsers(t, clitest.Alice), "-protocol-log", logs, "-log", "warn")
	if err := clitest.Send(hub.Addr(t, "Default hub01.contoso.com"), clitest.Mail{From: "alice@contoso.com", To: "alice@contoso.com",
		TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password}); err != nil {
		t.Fatal(err)
	}
	if err := hub.Stop(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(logs, "SmtpReceive", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no receive protocol log: %v %v", files, err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	if log := all.String(); !strings.Contains(log, "MAIL FROM:<alice@contoso.com>") || strings.Contains(log, "alicepw") ||
		strings.Contains(log, base64.StdEncoding.EncodeToString([]byte("\x00alice@contoso.com\x00alicepw"))) {
		t.Errorf("receive protocol log:\n%s", log)
	}
}

// -h prints the usage and exits 0, as Go's own tools do.
func TestHubHelp(t *testing.T) {
	out, err := exec.Command(clitest.Build(t, "github.com/hubedge/hubedge/examples/hub"), "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-listen") || strings.Contains(string(out), "help requested") {
		t.Fatalf("hub -h: %v\n%s", err, out)
	}
}

// SIGHUP rereads the users and mailboxes files; the server keeps serving.
func TestHubHangup(t *testing.T) {
	users := clitest.WriteUsers(t, clitest.Alice)
	hub := clitest.StartProcess(t, "github.com/hubedge/hubedge/examples/hub", "-listen", "127.0.0.1:0", "-selfsigned",
		"-queue", t.TempDir(), "-domains", "contoso.com", "-maildir", t.TempDir(), "-users", users, "-mailboxes", users, "-log", "info")
	addr := hub.Addr(t, "Default hub01.contoso.com")
	toCarol := clitest.Mail{From: "alice@contoso.com", To: "carol@contoso.com", TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password}
	var perr *textproto.Error
	if err := clitest.Send(addr, toCarol); !errors.As(err, &perr) || perr.Code != 550 {
		t.Fatalf("to carol before she has a mailbox: %v, want 550", err)
	}
	b, err := os.ReadFile(clitest.WriteUsers(t, clitest.Alice, clitest.User{Name: "carol@contoso.com", Password: "carolpw"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(users, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := hub.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	hub.WaitOutput(t, "SIGHUP: reloaded the mailboxes file")
	carol := clitest.Mail{From: "carol@contoso.com", To: "carol@contoso.com", TLS: true, User: "carol@contoso.com", Password: "carolpw"}
	if err := clitest.Send(addr, carol); err != nil {
		t.Fatalf("carol to herself after SIGHUP: %v", err)
	}
}

func TestHubUsage(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "127.0.0.1:0"}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "-domains") {
		t.Fatalf("err = %v, want a usage error", err)
	}
}
