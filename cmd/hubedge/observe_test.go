package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// TestMetricsFed relays one message through `hubedge run` with the
// management listener on and reads /metrics: the delivery attempt is in
// its send connector's latency histogram, the client's STARTTLS in the
// receive connector's handshakes, and the local queue's group commits in
// the batch-size and fsync histograms.
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
	if err := clitest.Send(srv.Addr(t, "From Apps"), clitest.Mail{From: "app@contoso.com", To: "bob@fabrikam.com", TLS: true}); err != nil {
		t.Fatal(err)
	}
	srv.WaitOutput(t, `msg="transport: delivered"`)

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
		`hubedge_tls_handshakes_total{connector="From Apps",direction="receive"}`,
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

// TestObserverMetrics feeds the observer synthetic trace events and commits
// and reads the series they feed.
func TestObserverMetrics(t *testing.T) {
	m := manage.NewMetrics(nil, nil)
	o := &observer{server: "Hub01"}
	o.start(nil, m)
	hop := queue.NextHop{Kind: deliver.KindSmartHost, Connector: "To Smart Host", Domain: "[192.0.2.1]"}
	delivery := func(e deliver.Event) transport.Event {
		e.Hop = hop
		return transport.Event{Event: smtpx.Event{Kind: transport.EventDelivery, Err: e.Err}, Delivery: &e}
	}
	tlsFailed := &deliver.AttemptError{Host: "192.0.2.1", Code: 451, Enhanced: "4.7.5",
		Err: fmt.Errorf("%w: x509: certificate signed by unknown authority", deliver.ErrTLS)}
	refused := &deliver.AttemptError{Host: "192.0.2.1", Code: 451, Enhanced: "4.4.1", Err: syscall.ECONNREFUSED}
	for _, e := range []transport.Event{
		delivery(deliver.Event{Kind: deliver.EventAttempt, Elapsed: 30 * time.Millisecond,
			Results: []queue.Result{{Code: 250}, {Code: 550}}}),
		delivery(deliver.Event{Kind: deliver.EventAttempt, Elapsed: 2 * time.Second, Err: &deliver.HopError{Hop: hop}}),
		delivery(deliver.Event{Kind: deliver.EventFailover, Err: tlsFailed}),
		delivery(deliver.Event{Kind: deliver.EventFailover, Err: refused}),
	} {
		o.event(e)
	}
	o.commit(3, 800*time.Microsecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`hubedge_delivery_attempt_duration_seconds_count{connector="To Smart Host",outcome="partial"} 1`,
		`hubedge_delivery_attempt_duration_seconds_sum{connector="To Smart Host",outcome="partial"} 0.03`,
		`hubedge_delivery_attempt_duration_seconds_count{connector="To Smart Host",outcome="error"} 1`,
		`hubedge_tls_handshake_failures_total{connector="To Smart Host",direction="send"} 1`,
		// The refused connection is no handshake.
		`hubedge_tls_handshakes_total{connector="To Smart Host",direction="send"} 1`,
		`hubedge_queue_commit_batch_size_sum 3`,
		`hubedge_queue_fsync_duration_seconds_sum 0.0008`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

type fakePool pgstore.Stats

func (f fakePool) Stats() pgstore.Stats { return pgstore.Stats(f) }

// TestPoolCommitMetrics: a PostgreSQL queue's commit counts are exported
// as counters, named by the conventions promlint checks, and each commit
// the store reports feeds the round-trip histogram.
func TestPoolCommitMetrics(t *testing.T) {
	m := manage.NewMetrics(nil, nil)
	exportPoolCommits(m, fakePool{Commits: 4, Records: 10})
	exportPoolCommits(nil, fakePool{}) // metrics off: nothing to do
	o := &observer{}
	o.poolCommit(1, time.Millisecond) // before the transport started: no metrics yet
	o.start(nil, m)
	o.poolCommit(4, 3*time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{"hubedge_queue_commits_total 4\n", "hubedge_queue_commit_records_total 10\n",
		"hubedge_queue_commit_duration_seconds_count 1\n", "hubedge_queue_commit_batch_size_sum 4\n"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if problems, err := testutil.GatherAndLint(m.Registry(), "hubedge_queue_commits_total", "hubedge_queue_commit_records_total"); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
