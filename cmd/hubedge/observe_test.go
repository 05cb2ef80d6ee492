package main

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// TestMetricsFed relays one message through `hubedge run` with the
// management listener on and reads /metrics: the delivery attempt is in
// its send connector's latency histogram, and the local queue's group
// commits in the batch-size and fsync histograms.
func TestMetricsFed(t *testing.T) {
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	sink := smtptest.NewSink(t)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	script := clitest.WriteFile(t, "relay.ps1", relayScript(clitest.FreePort(t), sinkPort, true))
	const token = "0123456789abcdef-test-token"
	tokenFile := clitest.WriteFile(t, "token", token+"\n")
	manageAddr := "127.0.0.1:" + clitest.FreePort(t)
	srv := clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Relay01", "-queue", t.TempDir(), "-selfsigned",
		"-log", "info", "-manage", manageAddr, "-manage-token", tokenFile, script)
	if err := clitest.Send(srv.Addr(t, "From Apps"), clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com"}); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, `msg="smtpx: delivered"`)

	req, _ := http.NewRequest("GET", "http://"+manageAddr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %v\n%s", resp.StatusCode, err, b)
	}
	for _, series := range []string{
		`hubedge_delivery_attempt_duration_seconds_count{connector="To Smart Host",outcome="delivered"}`,
		`hubedge_queue_commit_batch_size_count`,
		`hubedge_queue_fsync_duration_seconds_count`,
	} {
		m := regexp.MustCompile(regexp.QuoteMeta(series) + ` (\d+)\n`).FindSubmatch(b)
		if m == nil {
			t.Errorf("/metrics has no %s", series)
			continue
		}
		// The enqueue is one commit; the delivery's outcome may still be
		// on its way to the disk.
		if n, _ := strconv.Atoi(string(m[1])); n < 1 {
			t.Errorf("%s %d, want at least 1", series, n)
		}
	}
}
