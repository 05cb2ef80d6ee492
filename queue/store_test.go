package queue_test

import (
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// The memory store keeps the Store contract; a crash of the queue above
// it leaves the map as it was.
func TestMemStoreConformance(t *testing.T) {
	queuetest.TestStore(t, queuetest.StoreOpener{
		Open:  func(*testing.T) queue.Store { return queue.NewMemStore() },
		Crash: func(_ *testing.T, s queue.Store) queue.Store { return queue.CrashMemStore(s) },
	})
}
