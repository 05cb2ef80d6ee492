package local

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
)

// BenchmarkMaildirDeliver measures one Deliver call (fsyncs included) for a
// 64 KiB message to n recipients, with and without per-recipient headers
// (copy versus hard link).
func BenchmarkMaildirDeliver(b *testing.B) {
	msg := "Subject: bench\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n", 1024)
	for _, n := range []int{1, 10} {
		for _, dt := range []bool{true, false} {
			b.Run(fmt.Sprintf("rcpts=%d/deliveredTo=%v", n, dt), func(b *testing.B) {
				md, err := NewMaildir(b.TempDir(), WithDeliveredTo(dt))
				if err != nil {
					b.Fatal(err)
				}
				addrs := make([]string, n)
				for i := range addrs {
					addrs[i] = fmt.Sprintf("user%d@contoso.com", i)
				}
				rcpts := rcptList(addrs...)
				env := &queue.Envelope{From: "alice@fabrikam.com"}
				b.SetBytes(int64(len(msg) * n))
				b.ReportAllocs()
				for b.Loop() {
					res, err := md.deliver(b.Context(), env, body(msg), rcpts)
					if err != nil || !res[n-1].Success() {
						b.Fatal(res, err)
					}
				}
			})
		}
	}
}
