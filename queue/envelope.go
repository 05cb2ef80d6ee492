package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// Envelope is the SMTP envelope of a queued message and the facts of its
// reception.
type Envelope struct {
	// From is the reverse-path; "" is the null sender <>, which never
	// receives a DSN.
	From       string      `json:"from"`
	Recipients []Recipient `json:"rcpts"`
	// Ret and EnvID are the RFC 3461 MAIL FROM parameters.
	Ret   dsn.Ret `json:"ret,omitempty"`
	EnvID string  `json:"envid,omitempty"`
	// SMTPUTF8 (RFC 6531), RequireTLS (RFC 8689) and EightBitMIME (RFC 6152)
	// are the MAIL FROM parameters the message arrived with.
	SMTPUTF8     bool `json:"utf8,omitempty"`
	RequireTLS   bool `json:"reqtls,omitempty"`
	EightBitMIME bool `json:"8bit,omitempty"`
	// ReceiveConnector names the receive connector that accepted the
	// message ("" for messages the queue generates itself, such as DSNs).
	ReceiveConnector string `json:"rc,omitempty"`
	// Principal is the authenticated principal; "" is anonymous.
	Principal string `json:"principal,omitempty"`
	// HopCount is the number of Received: headers counted on receipt.
	HopCount int `json:"hops,omitempty"`
	// MessageID is the message's Message-ID header field as received, for
	// the message tracking log and Get-Message ("" when it has none).
	MessageID string `json:"mid,omitempty"`
	// Reference is, on a DSN the queue generated, the Message-ID of the
	// message it reports on, so the tracking log links the two.
	Reference string `json:"ref,omitempty"`
	// Subject is the message's Subject field as received (raw), for the
	// message tracking log.
	Subject string `json:"subj,omitempty"`
	// Received is when the message arrived; Enqueue sets it to the clock's
	// time when zero. Expiry and delay notifications count from it.
	Received time.Time `json:"received"`
	// Size is the body size in bytes; Enqueue sets it.
	Size int64 `json:"size"`
}

// Recipient is one RCPT TO with its RFC 3461 parameters.
type Recipient struct {
	Address string     `json:"addr"`
	Notify  dsn.Notify `json:"notify,omitempty"`
	// ORCPT is the decoded original recipient, "addr-type;address", e.g.
	// "rfc822;bob@example.com"; "" when the client gave none.
	ORCPT string `json:"orcpt,omitempty"`
}

// NextHop is where the Router sends a recipient. Recipients of one message
// with equal keys are delivered together, and all messages with equal keys
// share a delivery queue (the NextHopSolutionKey of the reference system).
type NextHop struct {
	// Connector is the send connector's name ("" for local delivery).
	Connector string
	// Kind classifies the delivery and becomes the queue's DeliveryType,
	// e.g. "SmartHostConnectorDelivery", "DnsConnectorDelivery",
	// "MailboxDelivery".
	Kind string
	// Domain is the recipient domain for DNS routing, or the smart-host list
	// for smart-host routing; it becomes the queue's NextHopDomain.
	Domain string
}

// Key is the delivery-queue identity, "Kind:Connector:Domain".
func (h NextHop) Key() string { return h.Kind + ":" + h.Connector + ":" + h.Domain }

// Router chooses a recipient's next hop. It is called once per recipient
// when a message is submitted, again after a restart and when the
// Unreachable queue is resubmitted. It should be fast: it runs on the
// queue's single categorizer goroutine. A Router that implements
// MessageRouter is asked about a whole message at once instead.
//
// Return an error wrapping ErrUnroutable to park the recipient in the
// Unreachable queue, or a *Result to fail (5xx) or retry (4xx) it; any
// other error is treated as a transient routing failure.
type Router interface {
	Route(ctx context.Context, env *Envelope, rcpt Recipient) (NextHop, error)
}

// RouterFunc adapts a function to Router.
type RouterFunc func(ctx context.Context, env *Envelope, rcpt Recipient) (NextHop, error)

// Route calls f.
func (f RouterFunc) Route(ctx context.Context, env *Envelope, rcpt Recipient) (NextHop, error) {
	return f(ctx, env, rcpt)
}

// Deliverer carries one message to one next hop.
//
// It returns one Result per recipient, in the order of rcpts, or a non-nil
// error for a failure that concerns the connection rather than recipients
// (no route to host, TLS refused, greeting 421, ctx cancelled...). A
// connection error defers every recipient and puts the delivery queue into
// Retry. Deliver must return promptly once ctx is cancelled.
type Deliverer interface {
	Deliver(ctx context.Context, hop NextHop, msg *Message, rcpts []Recipient) ([]Result, error)
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, hop NextHop, msg *Message, rcpts []Recipient) ([]Result, error)

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, hop NextHop, msg *Message, rcpts []Recipient) ([]Result, error) {
	return f(ctx, hop, msg, rcpts)
}

// Message is what a Deliverer gets: the envelope, attempt counters and a
// way to stream the body.
type Message struct {
	ID       ID
	Envelope Envelope
	// Attempts is the number of earlier delivery attempts for the
	// recipients being delivered (the highest among them).
	Attempts int
	open     func() (io.ReadCloser, error)
	// replaced is the header a MessageRouter gave ReplaceHeader.
	replaced []byte
}

// ReplaceHeader replaces the message's header with fields: header fields,
// each ending in CRLF, without the empty line that ends the header. A
// MessageRouter calls it during RouteMessage to apply header edits, as
// routing agents make them. The queue keeps fields with the message,
// durably before any recipient is delivered, and from then on serves them
// in front of the stored body in place of the header the body arrived
// with: to Deliverers, in DSNs, in Export and to the next RouteMessage.
// The stored body is never rewritten. A call outside RouteMessage has no
// effect.
func (m *Message) ReplaceHeader(fields []byte) {
	m.replaced = append(bytes.Clone(fields), '\r', '\n')
}

// Open streams the body from the store; each call starts from the
// beginning. The body is never held in memory as a whole.
func (m *Message) Open() (io.ReadCloser, error) {
	if m.open == nil {
		return nil, ErrNotFound
	}
	return m.open()
}

// Result is the outcome of delivering to one recipient: an SMTP reply code,
// its RFC 3463 enhanced status code and text. A *Result is also an error,
// so Routers and Deliverers can return one.
type Result struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enh,omitempty"` // e.g. "5.1.1"
	Text     string `json:"text,omitempty"`
	// RemoteMTA is the host that gave the reply ("" if none did).
	RemoteMTA string `json:"mta,omitempty"`
}

// Error renders the reply as "550 5.1.1 text".
func (r *Result) Error() string { return r.String() }

// String renders the reply as "550 5.1.1 text".
func (r Result) String() string {
	parts := []string{fmt.Sprint(r.Code)}
	if r.Enhanced != "" {
		parts = append(parts, r.Enhanced)
	}
	if r.Text != "" {
		parts = append(parts, r.Text)
	}
	return strings.Join(parts, " ")
}

// Success reports a 2xx reply.
func (r Result) Success() bool { return r.Code >= 200 && r.Code < 300 }

// Permanent reports a 5xx reply: the recipient fails without retry.
func (r Result) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// Temporary reports any reply that is neither success nor permanent (4xx,
// and malformed codes, which are safer retried than bounced).
func (r Result) Temporary() bool { return !r.Success() && !r.Permanent() }

// ResultOf is the Result of reply, given by remoteMTA ("" when no host
// gave it, as for a failure of our own).
func ResultOf(reply dsn.Reply, remoteMTA string) Result {
	return Result{Code: reply.Code, Enhanced: reply.Enhanced(), Text: reply.Text, RemoteMTA: remoteMTA}
}

// Reply is the Result as a dsn.Reply; an Enhanced that does not parse is
// left out.
func (r Result) Reply() dsn.Reply {
	st, _ := dsn.ParseStatus(r.Enhanced)
	return dsn.Reply{Code: r.Code, Status: st, Text: r.Text}
}

// status returns the enhanced code as a dsn.Status, deriving one from the
// reply class when the reply carried none or a malformed one.
func (r Result) status() dsn.Status {
	if st := r.Reply().Status; st.Valid() {
		return st
	}
	switch {
	case r.Success():
		return dsn.Status{Class: 2}
	case r.Permanent():
		return dsn.Status{Class: 5}
	}
	return dsn.Status{Class: 4}
}

// Well-known results the queue itself produces.
var (
	resultExpired     = Result{Code: 550, Enhanced: "4.4.7", Text: "QUEUE.Expired; message expired"}
	resultUnreachable = Result{Code: 550, Enhanced: "5.4.4", Text: "ROUTING.NoNextHop; unable to route"}
	resultAdminRemove = Result{Code: 550, Enhanced: "4.3.2", Text: "QUEUE.Admin; message deleted by administrative action"}
)

// Sentinel errors.
var (
	// ErrClosed is returned by operations on a closed Queue.
	ErrClosed = storage.ErrClosed
	// ErrTooLarge is returned by Enqueue when the body exceeds the
	// configured maximum message size.
	ErrTooLarge = errors.New("queue: message too large")
	// ErrNotFound is returned for unknown message IDs and queue identities.
	ErrNotFound = storage.ErrNotFound
	// ErrUnroutable is wrapped by Router errors for recipients without a
	// route; the recipient waits in the Unreachable queue.
	ErrUnroutable = errors.New("queue: unroutable")
	// ErrInvalidState is returned by an admin operation that the target's
	// state does not allow (e.g. Retry-Queue on a queue not in Retry).
	ErrInvalidState = errors.New("queue: operation not allowed in current state")
	// ErrNoRecipients is returned by Enqueue for an envelope without
	// recipients.
	ErrNoRecipients = errors.New("queue: no recipients")
	// ErrUnknownID is returned by EnqueueWithID for an ID that NewID did
	// not hand out, or that was already used.
	ErrUnknownID = errors.New("queue: ID not reserved by NewID")
	// ErrStoreFailed is returned by every write while the store cannot
	// make writes durable (a full disk, an I/O error): the queue refuses
	// new messages rather than risk the acknowledged ones and accepts
	// again once the store catches up. It wraps the cause (e.g. ENOSPC).
	ErrStoreFailed = storage.ErrStoreFailed
	// ErrCorrupt is wrapped by every error that reports damaged stored
	// data (*CorruptError): Open refuses a damaged file, and a damaged
	// body is never delivered.
	ErrCorrupt = storage.ErrCorrupt
	// ErrNotOwned is returned by writes about a message that another
	// process sharing the store has taken over; the queue forgets it.
	ErrNotOwned = storage.ErrNotOwned
	// ErrDirInUse is returned by Open when another process has the queue
	// directory open.
	ErrDirInUse = walstore.ErrDirInUse
)

var _ error = (*Result)(nil)
