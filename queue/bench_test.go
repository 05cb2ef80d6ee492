package queue_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// BenchmarkEnqueue measures durable enqueues (bbolt, fsync'd group
// commits) with 1, 16 and 64 concurrent writers and 4 KiB / 64 KiB
// bodies, and 20 writers of 1 MiB bodies (issue 9's memory case). msgs/s
// is the figure that matters: b.N messages divided by the wall time,
// across all writers; peak-heap-MiB is the largest HeapInuse sampled
// every millisecond while the writers ran.
func BenchmarkEnqueue(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("size=%dKiB/writers=%d", size>>10, writers), func(b *testing.B) {
				benchEnqueue(b, writers, size)
			})
		}
	}
	b.Run("size=1024KiB/writers=20", func(b *testing.B) { benchEnqueue(b, 20, 1<<20) })
}

func benchEnqueue(b *testing.B, writers, size int) {
	q, err := queue.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close(context.Background())
	stop := samplePeakHeap(b)
	queuetest.Enqueue(b, q, writers, size)
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
}

// samplePeakHeap samples HeapInuse every millisecond until the returned
// function is called, which returns the largest value seen.
func samplePeakHeap(b *testing.B) func() uint64 {
	runtime.GC()
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}
