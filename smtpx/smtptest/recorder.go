package smtptest

import (
	"context"
	"io"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// Delivery is one message a Recorder was handed.
type Delivery struct {
	Hop   queue.NextHop
	ID    queue.ID
	Env   queue.Envelope
	Rcpts []string // the recipients of this attempt
	Body  string
}

// Recorder is a queue.Deliverer that accepts every recipient (250 2.0.0)
// and records each message, for transports under test whose deliveries
// should stay in the process (transport.WithDeliverer, transport.WithLocalDelivery).
// Deliver blocks once RecorderBuffer messages wait unread.
type Recorder struct{ ch chan Delivery }

// RecorderBuffer is how many deliveries a Recorder holds unread.
const RecorderBuffer = 256

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{ch: make(chan Delivery, RecorderBuffer)} }

// Deliver records msg, read whole, and accepts every recipient.
func (r *Recorder) Deliver(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	rc, err := msg.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	d := Delivery{Hop: hop, ID: msg.ID, Env: msg.Envelope, Body: string(body)}
	res := make([]queue.Result, len(rcpts))
	for i, rcpt := range rcpts {
		d.Rcpts = append(d.Rcpts, rcpt.Address)
		res[i] = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "delivered"}
	}
	select {
	case r.ch <- d:
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Wait returns the next delivery, in the order they were made; it fails
// the test after 10 s without one.
func (r *Recorder) Wait(t TB) Delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(10 * time.Second):
		t.Fatalf("smtptest: no message delivered in 10 s")
		return Delivery{}
	}
}

// Pending reports how many deliveries wait unread, without waiting.
func (r *Recorder) Pending() int { return len(r.ch) }

var _ queue.Deliverer = (*Recorder)(nil)
