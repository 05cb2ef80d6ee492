package transport

import (
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/memstore"
)

// describedStore is a store that says where it is, as the start log line
// should then show.
type describedStore struct{ queue.Store }

func (describedStore) String() string { return "walstore /var/spool/hubedge" }

// plainStore hides memstore's String: only the interface's methods are
// promoted.
type plainStore struct{ queue.Store }

// The start log line says where the queue is, never in Go type syntax.
func TestQueueName(t *testing.T) {
	tests := []struct {
		name string
		opts options
		want string
	}{
		{"memory", options{queue: queueMemory}, "memory (not durable)"},
		{"dir", options{queue: queueDir, queueDir: "/var/spool/hubedge"}, "/var/spool/hubedge"},
		{"stringer", options{queue: queueStore, queueStore: describedStore{memstore.New()}}, "walstore /var/spool/hubedge"},
		{"memstore", options{queue: queueStore, queueStore: memstore.New()}, "memory (not durable)"},
		{"no String", options{queue: queueStore, queueStore: plainStore{memstore.New()}}, "custom store"},
		{"nil store", options{queue: queueStore}, "custom store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (&Transport{opts: tt.opts}).queueName(); got != tt.want {
				t.Errorf("queueName() = %q, want %q", got, tt.want)
			}
		})
	}
}
