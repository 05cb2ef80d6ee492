package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestPoolManagement runs two `hubedge run -queue-postgres` hubs of one
// pool, each with its management API: Get-Queue from either lists both
// hubs' queues, named by hub.
func TestPoolManagement(t *testing.T) {
	dsn := pgtest.Start(t).NewDB(t) // skips where PostgreSQL is not installed
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	token := clitest.WriteFile(t, "token", "0123456789abcdef-test-token\n")
	apis := map[string]string{}
	for _, hub := range []string{"Relay01", "Relay02"} {
		script := clitest.WriteFile(t, hub+".ps1", strings.ReplaceAll(relayScript(clitest.FreePort(t), sinkPort, true), "Relay01", hub))
		apis[hub] = "127.0.0.1:" + clitest.FreePort(t)
		srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", hub, "-queue-postgres", dsn, "-selfsigned",
			"-log", "warn", "-manage", apis[hub], "-manage-token", token, script)
		srv.WaitOutput(t, "management API and Queue Viewer on") // after the hub published its queues
	}
	for hub, api := range apis {
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"-manage", api, "-manage-token", token, "Get-Queue", "-json"}, &stdout, &stderr); code != exitOK {
			t.Fatalf("Get-Queue on %s: exit %d: %s", hub, code, &stderr)
		}
		var qs []struct{ Identity, Status string }
		if err := json.Unmarshal(stdout.Bytes(), &qs); err != nil {
			t.Fatalf("%v\n%s", err, &stdout)
		}
		got := map[string]bool{}
		for _, q := range qs {
			got[q.Identity] = true
		}
		if !got[`Relay01\Submission`] || !got[`Relay02\Submission`] {
			t.Errorf("Get-Queue on %s lists %v, want both hubs' Submission queues", hub, qs)
		}
	}
}
