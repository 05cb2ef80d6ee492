package deliver

import (
	"bufio"
	"context"
	"io"
	"net/textproto"
	"strings"

	"github.com/hubedge/hubedge/queue"
)

// WithTLSReportSender names the envelope sender of the TLS-RPT reports
// this server mails (tlsrpt.Mailer's From). A message from it whose
// header has a TLS-Report-Domain field, and that was queued by this
// process rather than received over SMTP (its envelope names no receive
// connector: anyone may write those fields), is a report, which RFC 8460 §5.3
// wants delivered despite any TLS failure, in plaintext if need be: it is
// held to the connector's own TLS settings only, never to DANE or
// MTA-STS, and its sessions are not counted for TLS-RPT; connections
// opened for reports carry only reports. Default: none.
func WithTLSReportSender(address string) Option {
	return funcOption(func(o *options) { o.reportSender = strings.TrimSpace(address) })
}

// tlsReportKey marks, in a delivery's context, a TLS report.
type tlsReportKey struct{}

// deliveryContext marks ctx when msg is a TLS report.
func (d *Deliverer) deliveryContext(ctx context.Context, msg *queue.Message) context.Context {
	env := &msg.Envelope
	if d.opts.reportSender == "" || env.ReceiveConnector != "" || !strings.EqualFold(env.From, d.opts.reportSender) || !hasReportField(msg) {
		return ctx
	}
	return context.WithValue(ctx, tlsReportKey{}, true)
}

func isTLSReport(ctx context.Context) bool { return ctx.Value(tlsReportKey{}) != nil }

// poolKey keeps report connections, made without the hop's TLS policy,
// apart from the hop's others.
func poolKey(ctx context.Context, hop queue.NextHop) string {
	if isTLSReport(ctx) {
		return hop.Key() + " (TLS reports)"
	}
	return hop.Key()
}

// hasReportField reads the message header for TLS-Report-Domain.
func hasReportField(msg *queue.Message) bool {
	rc, err := msg.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	h, err := textproto.NewReader(bufio.NewReader(io.LimitReader(rc, 64<<10))).ReadMIMEHeader()
	return err == nil && h.Get("TLS-Report-Domain") != ""
}
