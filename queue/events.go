package queue

import "time"

// EventType names what happened to a message, after the event-id values of
// the message-tracking log.
type EventType string

// Events the queue reports through WithEventHook.
const (
	// EventReceive: the message was enqueued and is durable.
	EventReceive EventType = "RECEIVE"
	// EventDeliver: recipients were accepted (2xx) by the next hop.
	EventDeliver EventType = "DELIVER"
	// EventDefer: recipients or a whole attempt failed transiently and will
	// be retried.
	EventDefer EventType = "DEFER"
	// EventFail: recipients failed for good (5xx, expiry, removal).
	EventFail EventType = "FAIL"
	// EventDSN: a delivery status notification was enqueued; ID and
	// MessageID are the notification's, RelatedID and Reference the
	// original message's.
	EventDSN EventType = "DSN"
	// EventUnreachable: recipients have no route and wait in the
	// Unreachable queue.
	EventUnreachable EventType = "UNREACHABLE"
	// EventPoison: the message moved to the Poison queue.
	EventPoison EventType = "POISONMESSAGE"
	// EventResubmit: the message went back to routing (admin or routing
	// change).
	EventResubmit EventType = "RESUBMIT"
	// EventSuspend and EventResume: an administrator suspended or resumed
	// the message.
	EventSuspend EventType = "SUSPEND"
	EventResume  EventType = "RESUME"
	// EventRemove: the message left the queue because an administrator
	// removed it.
	EventRemove EventType = "REMOVE"
)

// Event is one message-tracking record.
type Event struct {
	Type EventType
	Time time.Time
	ID   ID
	// RelatedID links a DSN to the message it reports on.
	RelatedID ID
	// Queue is the delivery-queue identity concerned, if any.
	Queue string
	// Source is the component that acted: "SMTP" (enqueue), "QUEUE",
	// "ROUTING", "DSN" or "ADMIN".
	Source     string
	Sender     string
	Recipients []string
	// MessageID is the message's Message-ID field (Envelope.MessageID).
	MessageID string
	// Reference is the Message-ID of the message a DSN reports on, on
	// EventDSN and on every event of the DSN itself (Envelope.Reference);
	// "" on other messages' events.
	Reference string
	// Subject is its Subject field, raw (Envelope.Subject).
	Subject string
	// Result is the reply behind DELIVER, DEFER and FAIL events.
	Result *Result
	// Err is the connection-level error behind a DEFER, if any.
	Err error
	// Detail qualifies the event; for DSN: "failure", "delay" or "success".
	Detail string
	// NextRetry is when a DEFER's recipients are tried again.
	NextRetry time.Time
}

// about fills in what an event says of its message's envelope.
func (e Event) about(env *Envelope) Event {
	e.Sender, e.MessageID, e.Subject, e.Reference = env.From, env.MessageID, env.Subject, env.Reference
	return e
}

func (q *Queue) emit(e Event) {
	if q.opts.hook == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = q.opts.clock.Now()
	}
	q.opts.hook(e)
}
