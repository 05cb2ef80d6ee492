package smtpx_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
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
	// "memory+empty-agents" runs an agent chain with no agent enabled on
	// the connector: the cost of WithAgents when no agent runs.
	for _, store := range []string{"memory", "memory+empty-agents", "bbolt"} {
		b.Run(store, func(b *testing.B) {
			rc := smtptest.ReceiveConnector(b, "From Internet", connector.UsageInternet)
			opts := []transport.Option{transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
				transport.WithReceiveConnector(rc), transport.WithLocalDelivery(discard)}
			switch store {
			case "bbolt":
				opts = append(opts, transport.WithQueueDir(b.TempDir()))
			case "memory+empty-agents":
				chain := agent.New()
				if err := chain.Register("elsewhere", refuseData{}, agent.Connectors("Client Proxy")); err != nil {
					b.Fatal(err)
				}
				opts = append(opts, transport.WithAgents(chain))
			}
			tr := smtptest.NewTransport(b, opts...)
			c, err := smtp.Dial(tr.Addr("From Internet").String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(msg)))
			var mid []byte
			b.ResetTimer()
			// Numbered Message-IDs: identical messages would be refused
			// by the routing-loop guard.
			n := 0
			for b.Loop() {
				n++
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
				w.Write(strconv.AppendInt(append(mid[:0], "Message-ID: <"...), int64(n), 10))
				w.Write([]byte("@bench.example>\r\n"))
				w.Write(msg)
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConnectDuringReconfigure measures a new connection's wait for
// its greeting (dial, 220, QUIT) on a steady transport and while another
// goroutine swaps its configuration with Reconfigure as fast as it can,
// and reports the 99th percentile of each.
func BenchmarkConnectDuringReconfigure(b *testing.B) {
	newRC := func() *connector.ReceiveConnector {
		rc := smtptest.ReceiveConnector(b, "From Internet", connector.UsageInternet)
		return rc
	}
	for _, reloading := range []bool{false, true} {
		name := "steady"
		if reloading {
			name = "reloading"
		}
		b.Run(name, func(b *testing.B) {
			tr := smtptest.NewTransport(b, transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
				transport.WithReceiveConnector(newRC()))
			addr := tr.Addr("From Internet").String()
			stop, done := make(chan struct{}), make(chan int)
			go func() {
				n := 0
				for reloading {
					select {
					case <-stop:
						done <- n
						return
					default:
					}
					if err := tr.Reconfigure(context.Background(), transport.Config{ReceiveConnectors: []*connector.ReceiveConnector{newRC()},
						AcceptedDomains: contoso}); err != nil {
						b.Error(err)
					}
					n++
				}
				<-stop
				done <- n
			}()
			var waits []time.Duration
			for b.Loop() {
				start := time.Now()
				c, err := smtp.Dial(addr)
				if err != nil {
					b.Fatal(err)
				}
				waits = append(waits, time.Since(start))
				c.Quit()
			}
			close(stop)
			reloads := <-done
			slices.Sort(waits)
			b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(reloads), "reloads")
		})
	}
}
