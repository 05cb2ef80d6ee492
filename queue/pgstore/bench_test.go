package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/queue/walstore"
)

// BenchmarkEnqueue compares durable enqueues on PostgreSQL (a local
// cluster on a Unix socket, fsync and synchronous commit on) with the
// local walstore queue in the same run, with 1, 16 and 64 writers of
// 4 KiB and 64 KiB bodies; nothing is delivered. msgs/s is b.N messages
// over the wall time across all writers; msgs/commit is the mean number
// of messages per PostgreSQL transaction (the group commit).
func BenchmarkEnqueue(b *testing.B) {
	c := pgtest.Shared(b)
	for _, size := range []int{4 << 10, 64 << 10} {
		for _, writers := range []int{1, 16, 64} {
			name := fmt.Sprintf("size=%dKiB/writers=%d", size>>10, writers)
			b.Run("store=walstore/"+name, func(b *testing.B) {
				s, err := walstore.Open(b.TempDir(), nil)
				if err != nil {
					b.Fatal(err)
				}
				benchEnqueue(b, s, writers, size)
			})
			b.Run("store=pgstore/"+name, func(b *testing.B) {
				s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: c.NewDB(b), Hub: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				benchEnqueue(b, s, writers, size)
				st := s.Stats()
				b.ReportMetric(float64(st.Records)/float64(max(st.Commits, 1)), "msgs/commit")
			})
		}
	}
}

func benchEnqueue(b *testing.B, s queue.Store, writers, size int) {
	q, err := queue.OpenStore(s, queue.WithInFlowDelay(0))
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close(context.Background())
	queuetest.Enqueue(b, q, writers, size)
}
