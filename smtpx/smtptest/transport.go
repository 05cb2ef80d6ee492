package smtptest

import (
	"context"
	"errors"
	"time"

	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/transport"
)

// NewTransport builds a transport.Transport from opts, starts it, and
// shuts it down through t.Cleanup (gracefully, with a 10-second
// deadline). Receive connectors for tests bind 127.0.0.1:0;
// Transport.Addr gives the port. Without transport.WithQueueDir or
// WithQueueStore the queue is in memory (transport.WithMemoryQueue).
func NewTransport(t TB, opts ...transport.Option) *transport.Transport {
	t.Helper()
	tr, err := transport.New(append([]transport.Option{transport.WithMemoryQueue()}, opts...)...)
	if err != nil {
		t.Fatalf("smtptest: NewTransport: %v", err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatalf("smtptest: start transport: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil && !errors.Is(err, smtpx.ErrServerClosed) {
			t.Logf("smtptest: transport shutdown: %v", err)
		}
	})
	return tr
}
