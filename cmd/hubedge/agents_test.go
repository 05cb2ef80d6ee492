package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestEdgeAntiSpamScript: an Edge's anti-spam agents configured by the
// reference system's cmdlets judge Internet mail before it is queued.
func TestEdgeAntiSpamScript(t *testing.T) {
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	port := clitest.FreePort(t)
	script := clitest.WriteFile(t, "edge.ps1", fmt.Sprintf(`New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType InternalRelay
Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internet" -Bindings 127.0.0.1:%s
New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $false -SmartHosts "[127.0.0.1]" -Port %s -SmartHostAuthMechanism None
Add-IPBlockListEntry -IPAddress 127.0.0.9 -Comment "a listed spammer"
Set-SenderFilterConfig -BlockedSenders spammer@example.org
`, port, sinkPort))
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	// -back-pressure=false: a CI machine may have less free disk than back
	// pressure wants.
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Edge01", "-role", "edge", "-selfsigned",
		"-queue", t.TempDir(), "-log", "warn", script)
	addr := srv.Addr(t, "From Internet")

	for _, tt := range []struct {
		name, from, localIP string
		code                int
		enhanced            string
	}{
		{"IP Block list", "bob@fabrikam.com", "127.0.0.9", 550, "5.7.1"},
		{"sender filter", "spammer@example.org", "127.0.0.8", 554, "5.1.0"},
	} {
		var perr *textproto.Error
		err := clitest.Send(addr, clitest.Mail{LocalIP: tt.localIP, From: tt.from, To: "alice@contoso.com"})
		if !errors.As(err, &perr) || perr.Code != tt.code || !strings.HasPrefix(perr.Msg, tt.enhanced) || strings.Contains(perr.Msg, "relay") {
			t.Errorf("%s: %v, want %d %s", tt.name, err, tt.code, tt.enhanced)
		}
	}
	if err := clitest.Send(addr, clitest.Mail{LocalIP: "127.0.0.8", From: "bob@fabrikam.com", To: "alice@contoso.com", Subject: "clean"}); err != nil {
		t.Fatalf("clean message: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sink.Messages()); got != 1 || msgs[0].Header.Get("Subject") != "clean" {
		t.Errorf("the organization got %d messages, first %q; want only the clean one", got, msgs[0].Header.Get("Subject"))
	}
}
