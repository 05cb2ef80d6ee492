package smtpx

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
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
	// EventTLS: a STARTTLS handshake ended; Detail is the version and
	// cipher suite ("TLS 1.3 TLS_AES_128_GCM_SHA256"), Err why it failed.
	EventTLS EventKind = "TLS"
	// EventDisconnect: the connection closed.
	EventDisconnect EventKind = "Disconnect"
	// EventBackPressure: the back-pressure level changed to Pressure;
	// Detail gives each resource's level and use.
	EventBackPressure EventKind = "BackPressure"
	// EventAgent: transport agents changed the fate of a message (Detail:
	// "discarded", "quarantined to ADDR", "dropped ADDR"); QueueID is the
	// message's ID.
	EventAgent EventKind = "Agent"
)

// Event is one step of a session on a Server, for tracing, demos and
// tests. Fields that do not apply to Kind are zero.
type Event struct {
	Kind      EventKind
	Time      time.Time
	Connector string         // receive connector name
	Session   string         // session ID (16 hex digits, as the protocol log writes it)
	Remote    netip.AddrPort // client address
	Principal perms.Principal
	Reply     *dsn.Reply // the refusal, for Reject and Refuse
	Detail    string
	// Subject is, for Queued, the message's Subject field as queued, raw
	// (folded, encoded words kept): for a tracking log that records
	// subjects.
	Subject  string
	QueueID  queue.ID
	Stripped []perms.Removed
	Pressure Pressure // for BackPressure
	Err      error
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
		add("stripped", perms.RemovedKeys(e.Stripped))
	}
	if e.Err != nil {
		add("err", e.Err.Error())
	}
	return slog.GroupValue(attrs...)
}

// replyString prints a reply for logs as it goes on the wire, without
// the final line end.
func replyString(r *dsn.Reply) string {
	return strings.TrimSuffix(string(appendReply(nil, r)), "\r\n")
}
