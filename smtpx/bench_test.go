package smtpx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// BenchmarkSubmit measures one client submitting 4 KiB messages over one
// connection, end to end: session checks, firewall, stamping, Enqueue (in
// memory, or durable in bbolt with group commit), 250.
func BenchmarkSubmit(b *testing.B) {
	discard := queue.DelivererFunc(func(_ context.Context, _ queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		res := make([]queue.Result, len(rcpts))
		for i := range res {
			res[i] = queue.Result{Code: 250}
		}
		return res, nil
	})
	msg := []byte("Subject: bench\r\nX-MS-Exchange-Organization-SCL: 5\r\n\r\n" + strings.Repeat(strings.Repeat("b", 62)+"\r\n", 64))
	for _, store := range []string{"memory", "bbolt"} {
		b.Run(store, func(b *testing.B) {
			rc, err := connector.NewReceive("From Internet", connector.WithUsage(connector.UsageInternet),
				connector.WithBindingList(loopback), connector.WithTarpitInterval(0))
			if err != nil {
				b.Fatal(err)
			}
			opts := []smtpx.Option{smtpx.WithServerName(serverName), smtpx.WithAcceptedDomain(contoso...),
				smtpx.WithReceiveConnector(rc), smtpx.WithLocalDelivery(discard)}
			if store == "bbolt" {
				opts = append(opts, smtpx.WithQueueDir(b.TempDir()))
			}
			tr := smtptest.NewTransport(b, opts...)
			c, err := smtp.Dial(tr.Addr("From Internet").String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for b.Loop() {
				if err := c.Mail("sender@fabrikam.com", nil); err != nil {
					b.Fatal(err)
				}
				if err := c.Rcpt("bob@contoso.com", nil); err != nil {
					b.Fatal(err)
				}
				w, err := c.Data()
				if err != nil {
					b.Fatal(err)
				}
				w.Write(msg)
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
