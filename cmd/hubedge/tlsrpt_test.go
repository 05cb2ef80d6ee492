package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tlsrpt"
)

// With -tls-report-from, a day's report is written and also queued as a
// message to the rua mailbox of the policy domain.
func TestTLSReportsMailed(t *testing.T) {
	dns := mxtest.NewDNS(t, mxtest.TXT("_smtp._tls.fabrikam.com", "v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com"))
	q, err := queue.OpenMemory() // no deliverer: the report waits in the queue
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rec := tlsrpt.NewRecorder("edge1.contoso.com", "postmaster@contoso.com").WithClock(func() time.Time { return now })
	rec.Failure(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "fabrikam.com"}, tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure})
	now = now.Add(24 * time.Hour)

	var m tlsReportMail
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	m.register(fs)
	if err := fs.Parse([]string{"-tls-report-from", "tlsrpt-noreply@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.mailer(nil, nil, q, "edge1.contoso.com"); err == nil {
		t.Error("-tls-report-from without -tls-report-dir accepted")
	}
	mailer, err := m.mailer(rec, []string{dns.Addr()}, q, "edge1.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTLSReports(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), rec, dir, "edge1.contoso.com", mailer)
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("%d report files, want 1", len(files))
	}
	msgs := q.Messages(queue.Filter{})
	if len(msgs) != 1 || msgs[0].From != "tlsrpt-noreply@contoso.com" || len(msgs[0].Recipients) != 1 ||
		msgs[0].Recipients[0].Address != "tlsrpt@fabrikam.com" {
		t.Fatalf("queued %+v", msgs)
	}
}
