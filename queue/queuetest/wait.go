package queuetest

import (
	"runtime"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// WaitDeadline bounds WaitQueue: a failure deadline, not a delay.
const WaitDeadline = 30 * time.Second

// WaitQueue waits until q lists a queue named identity for which cond
// holds, and returns it; the test fails if none does by WaitDeadline. It
// is for states no event announces, such as a message joining a delivery
// queue after routing.
func WaitQueue(t testing.TB, q *queue.Queue, identity string, cond func(queue.QueueInfo) bool) queue.QueueInfo {
	t.Helper()
	for deadline := time.Now().Add(WaitDeadline); ; {
		for _, qi := range q.Queues() {
			if qi.Identity == identity && cond(qi) {
				return qi
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s never reached the state awaited: %+v", identity, q.Queues())
		}
		runtime.Gosched()
	}
}
