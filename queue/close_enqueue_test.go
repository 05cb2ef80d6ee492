package queue_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/queue"
)

// stallReader blocks its first Read until released, then ends the body.
type stallReader struct {
	entered, release chan struct{}
	n                int
}

func (r *stallReader) Read(p []byte) (int, error) {
	r.n++
	if r.n == 1 {
		close(r.entered)
		<-r.release
		return copy(p, "x"), nil
	}
	return 0, io.EOF
}

// Close that gives up on an Enqueue stuck reading its body leaves no queue
// goroutine behind, and that Enqueue then fails with ErrClosed.
func TestCloseAbandonsStuckEnqueue(t *testing.T) {
	q, err := queue.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	body := &stallReader{entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := q.Enqueue(context.Background(), queue.Envelope{From: "a@contoso.com",
			Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}}, body)
		done <- err
	}()
	<-body.entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with an Enqueue stuck: %v", err)
	}
	// Only the caller's own goroutine, blocked in its body, may remain.
	goleak.VerifyNone(t, goleak.IgnoreTopFunction("github.com/hubedge/hubedge/queue_test.(*stallReader).Read"))
	close(body.release)
	select {
	case err := <-done:
		if !errors.Is(err, queue.ErrClosed) {
			t.Errorf("Enqueue after Close gave up: %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Enqueue did not return after its body was released")
	}
}
