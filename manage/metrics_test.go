package manage_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
)

// exercise calls every method of m once or more.
func exercise(m *manage.Metrics) {
	m.MessageReceived("From Internet")
	m.MessageSent("To Internet")
	m.MessageDelivered("")
	m.MessageDeferred("To Internet")
	m.MessageFailed("To Internet")
	m.DSN("failure")
	m.QueueEvent(queue.Event{Type: queue.EventDSN, Detail: "delay"})
	m.DeliveryAttempt("To Internet", manage.OutcomeDelivered, 30*time.Millisecond)
	m.SessionOpened("From Internet")
	m.SessionOpened("From Internet")
	m.SessionClosed("From Internet")
	m.Refused("From Internet", manage.ReasonRelay)
	m.TLSHandshake(manage.DirectionReceive, "From Internet", nil)
	m.TLSHandshake(manage.DirectionSend, "To Internet", errors.New("x509: unknown authority"))
	m.GroupCommit(12, 800*time.Microsecond)
	m.PoolCommit(3, 2*time.Millisecond)
	m.BackPressure("disk", 2)
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b.String())
	}
	return b.String()
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	m := manage.NewMetrics(f.q, f.clock.Now)
	h, err := manage.New(manage.WithToken(testToken), manage.WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)
	f.clock.Advance(90 * time.Second)
	exercise(m)

	out := scrape(t, srv.URL)
	for _, want := range []string{
		`hubedge_messages_received_total{connector="From Internet"} 1`,
		`hubedge_messages_delivered_total{connector="none"} 1`,
		`hubedge_dsn_messages_total{type="delay"} 1`,
		`hubedge_dsn_messages_total{type="failure"} 1`,
		`hubedge_delivery_attempt_duration_seconds_count{connector="To Internet",outcome="delivered"} 1`,
		`hubedge_smtp_sessions_open{connector="From Internet"} 1`,
		`hubedge_smtp_refusals_total{connector="From Internet",reason="relay"} 1`,
		`hubedge_tls_handshake_failures_total{connector="To Internet",direction="send"} 1`,
		`hubedge_queue_commit_batch_size_sum 15`,
		`hubedge_queue_fsync_duration_seconds_count 1`,
		`hubedge_queue_commit_duration_seconds_count 1`,
		`hubedge_back_pressure_level{resource="disk"} 2`,
		`hubedge_queue_messages{delivery_type="DnsConnectorDelivery",queue="Outbound",status="Retry"} 1`,
		`hubedge_queue_oldest_message_age_seconds 90`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian package prometheus); the exposition was not checked by it")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, b)
	}
}

// Labels stay bounded: unknown reasons, outcomes and DSN types fold into
// "other", and connector names past MaxConnectorLabels too.
func TestMetricsBoundedLabels(t *testing.T) {
	m := manage.NewMetrics(nil, nil)
	for i := range manage.MaxConnectorLabels + 50 {
		m.MessageReceived(fmt.Sprintf("connector %d", i))
	}
	m.Refused("c", manage.Reason("bob@fabrikam.com"))
	m.DSN("01JF0000000000000000000000")
	m.DeliveryAttempt("c", manage.Outcome("550 5.1.1"), time.Second)
	m.TLSHandshake("sideways", "c", nil)
	m.BackPressure("cpu", 1)
	if n := testutil.CollectAndCount(m.Registry(), "hubedge_messages_received_total"); n != manage.MaxConnectorLabels+1 {
		t.Errorf("%d received series, want %d", n, manage.MaxConnectorLabels+1)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b := rec.Body.Bytes()
	for _, leak := range []string{"bob@fabrikam.com", "01JF", "550 5.1.1", "sideways", `"cpu"`} {
		if bytes.Contains(b, []byte(leak)) {
			t.Errorf("label value %q exported", leak)
		}
	}
	// A nil *Metrics records nothing and does not panic.
	var nilM *manage.Metrics
	exercise(nilM)
}

func TestAttemptOutcome(t *testing.T) {
	ok, temp, perm := queue.Result{Code: 250}, queue.Result{Code: 451}, queue.Result{Code: 550}
	tests := []struct {
		results []queue.Result
		err     error
		want    manage.Outcome
	}{
		{[]queue.Result{ok, ok}, nil, manage.OutcomeDelivered},
		{[]queue.Result{ok, perm}, nil, manage.OutcomePartial},
		{[]queue.Result{temp, ok}, nil, manage.OutcomePartial},
		{[]queue.Result{temp, perm}, nil, manage.OutcomeDeferred},
		{[]queue.Result{perm}, nil, manage.OutcomeFailed},
		{nil, errors.New("connection refused"), manage.OutcomeError},
		{nil, nil, manage.OutcomeError},
	}
	for _, tt := range tests {
		if got := manage.AttemptOutcome(tt.results, tt.err); got != tt.want {
			t.Errorf("AttemptOutcome(%v, %v) = %s, want %s", tt.results, tt.err, got, tt.want)
		}
	}
}

// TestPoolCommitMetric: a PostgreSQL queue's commits feed the batch-size
// histogram and a round-trip histogram of their own, not the local
// queue's fsync one.
func TestPoolCommitMetric(t *testing.T) {
	m := manage.NewMetrics(nil, nil)
	m.PoolCommit(5, 2*time.Millisecond)
	var nilM *manage.Metrics
	nilM.PoolCommit(1, time.Second) // metrics off
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		"hubedge_queue_commit_batch_size_sum 5",
		"hubedge_queue_commit_duration_seconds_count 1",
		"hubedge_queue_commit_duration_seconds_sum 0.002",
		"hubedge_queue_fsync_duration_seconds_count 0",
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
	if problems, err := testutil.GatherAndLint(m.Registry(), "hubedge_queue_commit_duration_seconds"); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
