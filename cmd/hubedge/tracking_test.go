package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestMessageLife follows two messages through `hubedge run` and finds
// each one's life in the tracking log by its Message-ID: one deferred by
// the next hop, retried with Retry-Queue and sent; one refused for good,
// failed and reported in a DSN.
func TestMessageLife(t *testing.T) {
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	sink.Script("bob@fabrikam.com", "451 4.3.0 try again later")
	sink.Script("dave@fabrikam.com", "550 5.1.1 no such user")
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	script := clitest.WriteFile(t, "relay.ps1", relayScript(clitest.FreePort(t), sinkPort, true)+
		"Set-TransportServer Relay01 -MessageTrackingLogPath "+t.TempDir()+"\n")
	token := clitest.WriteFile(t, "token", "0123456789abcdef-test-token\n")
	manageAddr := "127.0.0.1:" + clitest.FreePort(t)
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue", t.TempDir(), "-selfsigned",
		"-log", "info", "-manage", manageAddr, "-manage-token", token, script)
	cmdlet := func(args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), append([]string{"-manage", manageAddr, "-manage-token", token}, args...), &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", args, code, &stderr)
		}
		return stdout.Bytes()
	}
	type record struct{ EventId, Source, InternalMessageId, Reference string }
	search := func(args ...string) []record {
		t.Helper()
		var recs []record
		if err := json.Unmarshal(cmdlet(append([]string{"Get-MessageTrackingLog", "-json"}, args...)...), &recs); err != nil {
			t.Fatal(err)
		}
		return recs
	}
	life := func(messageID string) string {
		t.Helper()
		var got []string
		for _, r := range search("-MessageId", messageID) {
			got = append(got, r.EventId+"/"+r.Source)
		}
		return strings.Join(got, " ")
	}

	apps := srv.Addr(t, "From Apps")
	if err := clitest.Send(apps, clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com", Header: "Message-ID: <later@contoso.com>\r\n"}); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, `msg="transport: deferred"`)
	var queues []manage.QueueView
	if err := json.Unmarshal(cmdlet("Get-Queue", "-json"), &queues); err != nil {
		t.Fatal(err)
	}
	retried := false
	for _, q := range queues {
		if q.NextHopConnector == "To Smart Host" {
			cmdlet("Retry-Queue", "-Identity", q.Identity)
			retried = true
		}
	}
	if !retried {
		t.Fatalf("no queue to the smart host: %+v", queues)
	}
	srv.WaitOutput(t, `msg="transport: delivered"`)
	if got, want := life("<later@contoso.com>"), "RECEIVE/SMTP DEFER/SMTP SEND/SMTP"; got != want {
		t.Errorf("life of the deferred message: %s, want %s", got, want)
	}

	if err := clitest.Send(apps, clitest.Mail{From: "app@contoso.com", To: "dave@fabrikam.com", Header: "Message-ID: <never@contoso.com>\r\n"}); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, `msg="transport: DSN queued"`)
	if got, want := life("<never@contoso.com>"), "RECEIVE/SMTP FAIL/SMTP DSN/DSN"; got != want {
		t.Errorf("life of the failed message: %s, want %s", got, want)
	}
	// The DSN record of the failed message refers to the DSN by its
	// Message-ID; the DSN is a message of its own, whose records refer back
	// to the failed one by the failed one's Message-ID.
	failed, dsns := search("-MessageId", "<never@contoso.com>", "-EventId", "FAIL"), search("-EventId", "DSN")
	if len(failed) != 1 || len(dsns) != 1 || dsns[0].Source != "DSN" || dsns[0].InternalMessageId != failed[0].InternalMessageId ||
		!strings.HasPrefix(dsns[0].Reference, "<") {
		t.Fatalf("FAIL records %+v, DSN records %+v: want one DSN record of the failed message naming the DSN", failed, dsns)
	}
	notification := search("-MessageId", dsns[0].Reference)
	if len(notification) == 0 || notification[0].EventId != "RECEIVE" || notification[0].Source != "DSN" {
		t.Errorf("records of the DSN %s: %+v, want its RECEIVE from DSN first", dsns[0].Reference, notification)
	}
	for _, r := range notification {
		if r.Reference != "<never@contoso.com>" {
			t.Errorf("the DSN's %s record refers to %q, want <never@contoso.com>", r.EventId, r.Reference)
		}
	}

	// A mistyped parameter is named with the one it was closest to.
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"-manage", manageAddr, "-manage-token", token, "Get-MessageTrackingLog", "-Recipient", "bob@fabrikam.com"}, &stdout, &stderr)
	if code != exitFail || !strings.Contains(stderr.String(), `-Recipient "bob@fabrikam.com": unknown parameter (closest: -Recipients)`) {
		t.Errorf("mistyped parameter: exit %d, %s", code, &stderr)
	}
}
