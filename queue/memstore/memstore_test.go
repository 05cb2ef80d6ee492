package memstore_test

import (
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/memstore"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// The memory store keeps the Store contract. It does not outlive its
// process, but it outlives a queue: a crash of the queue above it leaves
// the maps as they are, which the durability checks see.
func TestConformance(t *testing.T) {
	queuetest.TestStore(t, queuetest.StoreOpener{
		Open:  func(*testing.T) queue.Store { return memstore.New() },
		Crash: func(_ *testing.T, s queue.Store) queue.Store { return s },
	})
}
