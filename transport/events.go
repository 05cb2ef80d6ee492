package transport

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// The kinds of Event a transport adds to its server's (smtpx.EventConnect,
// smtpx.EventQueued, ...).
const (
	// EventQueue: the queue reported Queue (DELIVER, DEFER, FAIL, DSN...).
	EventQueue smtpx.EventKind = "Queue"
	// EventDelivery: the outbound deliverer reported Delivery (dial, TLS,
	// AUTH, per-recipient replies...).
	EventDelivery smtpx.EventKind = "Delivery"
)

// Event is one step of mail flow through a Transport, for tracing, demos
// and tests: a step of a session on its server, or, with Kind EventQueue
// or EventDelivery, a step of the queue or of an outbound delivery.
type Event struct {
	smtpx.Event
	Queue    *queue.Event
	Delivery *deliver.Event
}

// LogValue renders the event compactly for log/slog.
func (e Event) LogValue() slog.Value {
	v := e.Event.LogValue()
	attrs := v.Group()
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	if q := e.Queue; q != nil {
		add("op", string(q.Type))
		add("source", q.Source)
		add("queue", q.Queue)
		add("related", string(q.RelatedID))
		add("sender", q.Sender)
		add("rcpts", strings.Join(q.Recipients, ","))
		if q.Result != nil {
			add("result", q.Result.String())
		}
		add("qdetail", q.Detail)
		if !q.NextRetry.IsZero() {
			add("next_retry", q.NextRetry.UTC().Format(time.RFC3339))
		}
	}
	if d := e.Delivery; d != nil {
		add("delivery", string(d.Kind))
		if d.Hop != (queue.NextHop{}) {
			add("hop", d.Hop.Key())
		}
		add("host", d.Host)
		add("addr", d.Addr)
		add("tls", d.TLSVersion)
		add("verified", d.VerifiedName)
		add("mechanism", d.Mechanism)
		if len(d.Removed) > 0 {
			add("removed", perms.RemovedKeys(d.Removed))
		}
		add("rcpt", d.Recipient)
		if d.Result != nil {
			add("result", d.Result.String())
		}
		if d.Messages > 0 {
			attrs = append(attrs, slog.Int("messages", d.Messages))
		}
	}
	return slog.GroupValue(attrs...)
}

// emit sends a queue or delivery event to the trace function and the
// debug log (the server logs its own).
func (t *Transport) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = t.opts.clock.Now()
	}
	// Enabled first: boxing e for a disabled Debug still allocates it.
	if t.log.Enabled(context.Background(), slog.LevelDebug) {
		t.log.Debug("transport: event", "event", e)
	}
	t.trace(e)
}

// trace sends an event to the trace function.
func (t *Transport) trace(e Event) {
	if t.opts.trace != nil {
		t.opts.trace(e)
	}
}

// outcomes are the queue events worth an info line, with its message.
var outcomes = map[queue.EventType]string{
	queue.EventDeliver:     "transport: delivered",
	queue.EventDefer:       "transport: deferred",
	queue.EventFail:        "transport: failed",
	queue.EventDSN:         "transport: DSN queued",
	queue.EventUnreachable: "transport: unreachable",
	queue.EventPoison:      "transport: poison message",
}

// logOutcome writes the info line of a message's outcome in the queue:
// delivered, deferred (with the reply it will be retried after), failed,
// a DSN sent, parked unreachable or poisoned. Other queue events are
// left to the debug trace.
func (t *Transport) logOutcome(e *queue.Event) {
	msg, ok := outcomes[e.Type]
	if !ok {
		return
	}
	attrs := []any{"id", string(e.ID), "rcpts", strings.Join(e.Recipients, ","), "next_hop", e.Queue}
	if e.RelatedID != "" {
		attrs = append(attrs, "about", string(e.RelatedID), "kind", e.Detail)
	}
	if e.Result != nil {
		attrs = append(attrs, "reply", e.Result.String())
	}
	if e.Err != nil {
		attrs = append(attrs, "err", e.Err.Error())
	}
	if !e.NextRetry.IsZero() {
		attrs = append(attrs, "next_retry", e.NextRetry.UTC().Format(time.RFC3339))
	}
	t.log.Info(msg, attrs...)
}
