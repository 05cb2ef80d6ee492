package smtpx

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// EventKind says what a trace Event reports.
type EventKind string

// Trace events (see WithTrace).
const (
	// EventConnect: a connection was accepted and handed to Connector.
	EventConnect EventKind = "Connect"
	// EventReject: a connection was refused before any command (Reply):
	// no receive connector, or a connection limit.
	EventReject EventKind = "Reject"
	// EventAuth: a SASL login or mutual-TLS server authentication; Err is
	// nil on success and Principal is the new principal.
	EventAuth EventKind = "Auth"
	// EventRefuse: a command was refused with Reply.
	EventRefuse EventKind = "Refuse"
	// EventHeadersStripped: the receive-side header firewall removed
	// Stripped from a message.
	EventHeadersStripped EventKind = "HeadersStripped"
	// EventQueued: a message is durable in the queue under QueueID and the
	// 250 reply is being sent; Detail is the ID stamped in Received.
	EventQueued EventKind = "Queued"
	// EventDisconnect: the connection closed.
	EventDisconnect EventKind = "Disconnect"
	// EventQueue: the queue reported Queue (DELIVER, DEFER, FAIL, DSN...).
	EventQueue EventKind = "Queue"
	// EventDelivery: the outbound deliverer reported Delivery (dial, TLS,
	// AUTH, per-recipient replies...).
	EventDelivery EventKind = "Delivery"
	// EventBackPressure: the back-pressure level changed to Pressure;
	// Detail gives each resource's level and use.
	EventBackPressure EventKind = "BackPressure"
	// EventAgent: transport agents changed the fate of a message (Detail:
	// "discarded", "quarantined to ADDR", "dropped ADDR"); QueueID is the
	// message's ID.
	EventAgent EventKind = "Agent"
)

// Event is one step of mail flow through a Transport, for tracing, demos
// and tests. Fields that do not apply to Kind are zero.
type Event struct {
	Kind      EventKind
	Time      time.Time
	Connector string         // receive connector name
	Session   string         // session ID (16 hex digits, as the protocol log writes it)
	Remote    netip.AddrPort // client address
	Principal perms.Principal
	Reply     *smtp.SMTPError // the refusal, for Reject and Refuse
	Detail    string
	QueueID   queue.ID
	Stripped  []perms.Removed
	Queue     *queue.Event
	Delivery  *deliver.Event
	Pressure  Pressure // for BackPressure
	Err       error
}

// LogValue renders the event compactly for log/slog.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", string(e.Kind))}
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("connector", e.Connector)
	add("session", e.Session)
	if e.Remote.IsValid() {
		add("remote", e.Remote.String())
	}
	add("principal", string(e.Principal))
	if e.Reply != nil {
		add("reply", replyString(e.Reply))
	}
	if e.Kind == EventBackPressure {
		add("pressure", e.Pressure.String())
	}
	add("detail", e.Detail)
	add("id", string(e.QueueID))
	if len(e.Stripped) > 0 {
		add("stripped", removedNames(e.Stripped))
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
			add("removed", removedNames(d.Removed))
		}
		add("rcpt", d.Recipient)
		if d.Result != nil {
			add("result", d.Result.String())
		}
		if d.Messages > 0 {
			attrs = append(attrs, slog.Int("messages", d.Messages))
		}
	}
	if e.Err != nil {
		add("err", e.Err.Error())
	}
	return slog.GroupValue(attrs...)
}

// outcomes are the queue events worth an info line, with its message.
var outcomes = map[queue.EventType]string{
	queue.EventDeliver:     "smtpx: delivered",
	queue.EventDefer:       "smtpx: deferred",
	queue.EventFail:        "smtpx: failed",
	queue.EventDSN:         "smtpx: DSN queued",
	queue.EventUnreachable: "smtpx: unreachable",
	queue.EventPoison:      "smtpx: poison message",
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

// replyString prints a reply for logs as it goes on the wire, without
// the final line end.
func replyString(r *smtp.SMTPError) string {
	return strings.TrimSuffix(string(appendReply(nil, r)), "\r\n")
}
