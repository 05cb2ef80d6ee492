package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tlsrpt"
)

// tlsReportMail is -tls-report-from: each day's TLS-RPT reports are also
// sent to the rua of their policy domains.
type tlsReportMail struct{ from *string }

func (m *tlsReportMail) register(fs *flag.FlagSet) {
	m.from = fs.String("tls-report-from", "", "send each day's TLS-RPT reports to the rua of the policy domain's _smtp._tls record (RFC 8460): "+
		"mailed from `address` through the queue (delivered despite DANE or MTA-STS failures), posted to https: URIs; needs -tls-report-dir")
}

// mailer returns the Mailer of -tls-report-from, nil without the flag.
// Reports are submitted to q as messages from the address to the rua
// mailboxes, so the send connectors deliver (and DKIM-sign) them; the
// _smtp._tls records are read from dnsServers (resolv.conf's when empty).
func (m *tlsReportMail) mailer(rec *tlsrpt.Recorder, dnsServers []string, q *queue.Queue, submitter string) (*tlsrpt.Mailer, error) {
	if *m.from == "" {
		return nil, nil
	}
	if rec == nil {
		return nil, usagef("run: -tls-report-from needs -tls-report-dir, where the reports are counted and kept")
	}
	var opts []mx.Option
	if len(dnsServers) > 0 {
		opts = append(opts, mx.WithServers(dnsServers...))
	}
	r, err := mx.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("run: -tls-report-from: %w", err)
	}
	submit := func(ctx context.Context, from string, to []string, msg []byte) error {
		env := queue.Envelope{From: from}
		for _, a := range to {
			env.Recipients = append(env.Recipients, queue.Recipient{Address: a})
		}
		_, err := q.Enqueue(ctx, env, bytes.NewReader(msg))
		return err
	}
	return &tlsrpt.Mailer{From: *m.from, Submitter: submitter, LookupTXT: r.LookupTXT, Submit: submit,
		HTTP: &http.Client{Timeout: time.Minute}}, nil
}

// writeTLSReports writes the TLS-RPT reports of the days that have ended
// and, with a mailer, sends them (not at shutdown, when the queue is
// closed: those reports are only written).
func writeTLSReports(ctx context.Context, log *slog.Logger, rec *tlsrpt.Recorder, dir, sender string, mailer *tlsrpt.Mailer) {
	if rec == nil {
		return
	}
	reports := rec.TakeDue()
	files, err := tlsrpt.WriteReports(dir, sender, reports)
	if err != nil {
		log.Error("writing TLS-RPT reports", "dir", dir, "err", err)
	}
	for _, f := range files {
		log.Info("TLS-RPT report written", "file", f)
	}
	if mailer == nil || len(reports) == 0 {
		return
	}
	sent, err := mailer.Send(ctx, reports)
	for _, s := range sent {
		log.Info("TLS-RPT report sent", "to", s)
	}
	if err != nil {
		log.Warn("sending TLS-RPT reports", "err", err)
	}
}
