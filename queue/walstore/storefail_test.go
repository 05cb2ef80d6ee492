package walstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// Once the store failed, Enqueue refuses messages with ErrStoreFailed
// (smtpx answers 4xx) instead of acknowledging what may never be applied.
func TestEnqueueRefusedAfterStoreFailure(t *testing.T) {
	s, err := walstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.OpenStore(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := walstore.BreakBolt(s); err != nil {
		t.Fatal(err)
	}
	env := queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("logged")); err != nil {
		t.Fatal(err)
	}
	if err := walstore.Sync(s); !errors.Is(err, storage.ErrStoreFailed) {
		t.Fatalf("sync: %v", err)
	}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("refused")); !errors.Is(err, storage.ErrStoreFailed) {
		t.Errorf("Enqueue after the store failed: %v, want ErrStoreFailed", err)
	}
	if err := q.Close(context.Background()); !errors.Is(err, storage.ErrStoreFailed) {
		t.Errorf("Close: %v, want the store failure", err)
	}
}
