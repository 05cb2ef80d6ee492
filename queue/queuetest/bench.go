package queuetest

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// Enqueue benchmarks q's durable Enqueue: writers goroutines enqueue b.N
// messages of size bytes between them, one recipient each, and the rate is
// reported as msgs/s. Nothing is delivered unless q's Router and Deliverer
// say otherwise.
func Enqueue(b *testing.B, q *queue.Queue, writers, size int) {
	body := bytes.Repeat([]byte("x"), size)
	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, err := q.Enqueue(context.Background(), env, bytes.NewReader(body)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
