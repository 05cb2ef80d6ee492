package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// relayScript is an anonymous relay for applications on loopback to a
// smart host; with relay false the Accept-Any-Recipient grant is gone.
func relayScript(port, sinkPort string, relay bool) string {
	s := fmt.Sprintf(`Remove-ReceiveConnector "Default Relay01" -Confirm:$false
Remove-ReceiveConnector "Client Relay01" -Confirm:$false
New-ReceiveConnector -Name "From Apps" -Usage Custom -PermissionGroups AnonymousUsers -Bindings 127.0.0.1:%s -RemoteIPRanges 127.0.0.1
New-SendConnector -Name "To Smart Host" -AddressSpaces * -SmartHosts "[127.0.0.1]" -Port %s -DNSRoutingEnabled $false
`, port, sinkPort)
	if relay {
		s += `Get-ReceiveConnector "From Apps" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"` + "\n"
	}
	return s
}

// TestReload changes the script of a running `hubedge run` and sends
// SIGHUP: a transaction in progress completes under the old configuration,
// the next one sees the new; a broken script leaves the running
// configuration in place.
func TestReload(t *testing.T) {
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	port := clitest.FreePort(t)
	script := clitest.WriteFile(t, "relay.ps1", relayScript(port, sinkPort, true))
	token := clitest.WriteFile(t, "token", "0123456789abcdef-test-token\n")
	manageAddr := "127.0.0.1:" + clitest.FreePort(t)
	// -back-pressure=false: a CI machine may have less free disk than back
	// pressure wants.
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue", t.TempDir(), "-selfsigned", "-log", "info",
		"-manage", manageAddr, "-manage-token", token, script)
	addr := srv.Addr(t, "From Apps")

	// A transaction under the first configuration, held open across the reload.
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("app@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bob@fabrikam.com"); err != nil {
		t.Fatalf("RCPT before the reload: %v", err)
	}
	if err := os.WriteFile(script, []byte(relayScript(port, sinkPort, false)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, "SIGHUP: configuration reloaded")
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "Subject: held open\r\n\r\nbody\r\n")
	if err := w.Close(); err != nil {
		t.Fatalf("the transaction begun before the reload: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := sink.WaitMessages(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// A new transaction sees the new configuration: no relay any more.
	noRelay := func(when string) {
		t.Helper()
		var perr *textproto.Error
		err := clitest.Send(addr, clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com"})
		if !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.7.1") {
			t.Fatalf("%s: %v, want 550 5.7.1", when, err)
		}
	}
	noRelay("after the reload")

	// A broken script: every error logged, the running configuration stays.
	if err := os.WriteFile(script, []byte(relayScript(port, sinkPort, true)+"New-SendConnector -Name Bad -AddressSpaces *.con..x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, "SIGHUP: the running configuration stays")
	if !strings.Contains(srv.Output(), "relay.ps1:6:") {
		t.Errorf("the reload error does not name the line:\n%s", srv.Output())
	}
	noRelay("after a broken script")

	// The management API answers the cmdlets of the command line.
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"-manage", manageAddr, "-manage-token", token, "Get-Queue"}, &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), `Relay01\Submission`) {
		t.Errorf("hubedge Get-Queue: exit %d\n%s%s", code, &stdout, &stderr)
	}
	stdout.Reset()
	if code := Main(context.Background(), []string{"-manage", manageAddr, "-manage-token", script, "Get-Queue"}, &stdout, &stderr); code == exitOK {
		t.Errorf("hubedge Get-Queue with a wrong token: exit 0\n%s", &stdout)
	}
}

// TestPostgresQueue runs `hubedge run -queue-postgres` on a throwaway
// PostgreSQL cluster: mail is acknowledged once committed there and relayed.
func TestPostgresQueue(t *testing.T) {
	dsn := pgtest.Start(t).NewDB(t) // skips where PostgreSQL is not installed
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	script := clitest.WriteFile(t, "relay.ps1", relayScript(clitest.FreePort(t), sinkPort, true))
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue-postgres", dsn, "-selfsigned", "-log", "warn", script)
	if !strings.Contains(srv.Output(), "queue PostgreSQL, hub Relay01") {
		t.Errorf("banner: %s", srv.Output())
	}
	if err := clitest.Send(srv.Addr(t, "From Apps"), clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com", Subject: "pooled"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Header.Get("Subject") != "pooled" {
		t.Errorf("sink got %+v", msgs[0])
	}
}

// TestMessageTracking follows a message's life in the tracking log the
// scripts turn on, through the management API by its Message-ID.
func TestMessageTracking(t *testing.T) {
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	script := clitest.WriteFile(t, "relay.ps1", relayScript(clitest.FreePort(t), sinkPort, true)+
		"Set-TransportServer Relay01 -MessageTrackingLogPath "+t.TempDir()+"\n")
	token := clitest.WriteFile(t, "token", "0123456789abcdef-test-token\n")
	manageAddr := "127.0.0.1:" + clitest.FreePort(t)
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue", t.TempDir(), "-selfsigned",
		"-log", "info", "-manage", manageAddr, "-manage-token", token, script)
	if err := clitest.Send(srv.Addr(t, "From Apps"), clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com",
		Subject: "life at the =?utf-8?q?caf=C3=A9?=", Header: "Message-ID: <life@contoso.com>\r\n"}); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, `msg="transport: delivered"`)
	var stdout, stderr bytes.Buffer
	args := []string{"-manage", manageAddr, "-manage-token", token, "Get-MessageTrackingLog", "-MessageId", "<life@contoso.com>", "-json"}
	if code := Main(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	var events []struct{ EventId, Source, InternalMessageId, MessageId, MessageSubject string }
	if err := json.Unmarshal(stdout.Bytes(), &events); err != nil {
		t.Fatalf("%v\n%s", err, &stdout)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.EventId+"/"+e.Source)
	}
	if strings.Join(got, " ") != "RECEIVE/SMTP SEND/SMTP" || events[0].InternalMessageId == "" {
		t.Errorf("tracking of <life@contoso.com>: %s", &stdout)
	}
	for _, e := range events {
		if e.MessageSubject != "life at the café" {
			t.Errorf("%s: message-subject %q, want the decoded Subject", e.EventId, e.MessageSubject)
		}
	}
}
