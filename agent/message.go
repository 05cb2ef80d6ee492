package agent

import (
	"io"
	"slices"
	"strings"
)

// SCLHeader is the header field that carries the spam confidence level
// inside the organization (the header firewall removes forged copies).
const SCLHeader = "X-MS-Exchange-Organization-SCL"

// NoSCL is Message.SCL while no agent has rated the message.
const NoSCL = -2

// Field is one header field: Name as written, Value the raw text after the
// colon (leading space and any folding kept, no final CRLF).
type Field struct {
	Name, Value string
}

// Recipient is one envelope recipient of a message and what agents did to
// it.
type Recipient struct {
	Address string
	// NextHop, when set by a routing agent, overrides the routing of this
	// recipient (the reference system's SetRoutingOverride).
	NextHop string
	// Dropped recipients are not delivered; when NDR is non-nil a
	// non-delivery report with that reply is owed to the sender.
	Dropped bool
	NDR     *Reply
}

// Message is the state of a message that the session (or the categorizer)
// owns and the chain updates with what agents did: the header block, the
// recipients, the SCL, the body and the fate of the message.
type Message struct {
	Header     []Field
	Recipients []Recipient
	SCL        int // NoSCL, or -1 (trusted) to 9
	// Body is the message body after the header block and its empty
	// line; nil at end of headers.
	Body     io.ReaderAt
	BodySize int64
	// BodyReplaced is set when an agent replaced Body.
	BodyReplaced bool
	// Discard asks the session to answer as if accepted, then drop the
	// message (the reference system's Delete action).
	Discard bool
	// Quarantine, when set, is the mailbox that gets the message instead
	// of its recipients.
	Quarantine string
}

// NewMessage returns a message with no SCL for the given recipients.
func NewMessage(header []Field, recipients ...string) *Message {
	m := &Message{Header: header, SCL: NoSCL}
	for _, r := range recipients {
		m.Recipients = append(m.Recipients, Recipient{Address: r})
	}
	return m
}

// DeliverTo returns where the message goes: the quarantine mailbox, or the
// recipients that were not dropped. It is empty when the message was
// discarded.
func (m *Message) DeliverTo() []Recipient {
	switch {
	case m.Discard:
		return nil
	case m.Quarantine != "":
		return []Recipient{{Address: m.Quarantine}}
	}
	var out []Recipient
	for _, r := range m.Recipients {
		if !r.Dropped {
			out = append(out, r)
		}
	}
	return out
}

// HeaderValue returns the value of the first field called name (case
// insensitive), trimmed, and whether there is one.
func HeaderValue(h []Field, name string) (string, bool) {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return strings.TrimSpace(f.Value), true
		}
	}
	return "", false
}

// MessageEvent is what end of headers, end of data and the routing events
// carry: a read-only view of the message and the edits the agent asks for.
// Edits take effect, in the order made, when the agent returns in time;
// the next agent sees them.
type MessageEvent struct {
	Session    Session
	Header     []Field     // read-only
	Recipients []Recipient // read-only
	SCL        int
	// Body reads the message body; nil at end of headers and for routing
	// events whose caller has none to give.
	Body  *io.SectionReader
	vars  *vars
	edits []func(*Message)
}

// Value and SetValue are per-connection state, as on CommandEvent; they
// are no-ops (nil) for routing events.
func (e *MessageEvent) Value(key any) any {
	if e.vars == nil {
		return nil
	}
	return e.vars.get(key)
}

// SetValue stores per-connection state (see CommandEvent.SetValue).
func (e *MessageEvent) SetValue(key, val any) {
	if e.vars != nil {
		e.vars.set(key, val)
	}
}

// Bypassed reports whether the connection is trusted by the anti-spam
// agents (see CommandEvent.Bypassed).
func (e *MessageEvent) Bypassed() bool { return bypassed(&e.Session, e.vars) }

func (e *MessageEvent) edit(f func(*Message)) { e.edits = append(e.edits, f) }

// AddHeader appends a field at the end of the header block.
func (e *MessageEvent) AddHeader(name, value string) {
	e.edit(func(m *Message) { m.Header = append(m.Header, Field{name, " " + value}) })
}

// InsertHeader inserts a field before the index-th field (0 is the top,
// where trace fields such as Received-SPF go); an index past the end
// appends.
func (e *MessageEvent) InsertHeader(index int, name, value string) {
	e.edit(func(m *Message) {
		i := min(max(index, 0), len(m.Header))
		m.Header = slices.Insert(m.Header, i, Field{name, " " + value})
	})
}

// ChangeHeader sets the value of the n-th (from 1) field called name; an
// empty value deletes that field. Nothing happens if there is no such
// field (milter chgheader semantics).
func (e *MessageEvent) ChangeHeader(name string, n int, value string) {
	e.edit(func(m *Message) {
		seen := 0
		for i, f := range m.Header {
			if !strings.EqualFold(f.Name, name) {
				continue
			}
			if seen++; seen != n {
				continue
			}
			if value == "" {
				m.Header = slices.Delete(m.Header, i, i+1)
			} else {
				m.Header[i].Value = " " + value
			}
			return
		}
	})
}

// RemoveHeader deletes every field called name.
func (e *MessageEvent) RemoveHeader(name string) {
	e.edit(func(m *Message) { m.Header = removeFields(m.Header, name) })
}

// SetHeader replaces every field called name by one with value, at the end.
func (e *MessageEvent) SetHeader(name, value string) {
	e.edit(func(m *Message) {
		m.Header = append(removeFields(m.Header, name), Field{name, " " + value})
	})
}

func removeFields(h []Field, name string) []Field {
	return slices.DeleteFunc(h, func(f Field) bool { return strings.EqualFold(f.Name, name) })
}

// SetSCL sets the spam confidence level (clamped to -1..9) and the
// X-MS-Exchange-Organization-SCL field that carries it.
func (e *MessageEvent) SetSCL(scl int) {
	scl = min(max(scl, -1), 9)
	e.SetHeader(SCLHeader, itoa(scl))
	e.edit(func(m *Message) { m.SCL = scl })
}

func itoa(n int) string {
	if n < 0 {
		return "-" + string(rune('0'-n))
	}
	return string(rune('0' + n))
}

// AddRecipient adds an envelope recipient.
func (e *MessageEvent) AddRecipient(addr string) {
	e.edit(func(m *Message) { m.Recipients = append(m.Recipients, Recipient{Address: addr}) })
}

// DropRecipient removes addr from delivery; with a non-nil ndr the sender
// gets a non-delivery report carrying it.
func (e *MessageEvent) DropRecipient(addr string, ndr *Reply) {
	e.edit(func(m *Message) {
		for i := range m.Recipients {
			if r := &m.Recipients[i]; !r.Dropped && strings.EqualFold(r.Address, addr) {
				r.Dropped, r.NDR = true, ndr
			}
		}
	})
}

// RedirectRecipient delivers to "to" what was addressed to "from".
func (e *MessageEvent) RedirectRecipient(from, to string) {
	e.edit(func(m *Message) {
		for i := range m.Recipients {
			if r := &m.Recipients[i]; !r.Dropped && strings.EqualFold(r.Address, from) {
				r.Address = to
			}
		}
	})
}

// SetRoutingOverride sends addr to nextHop whatever the routing table
// says (routing events).
func (e *MessageEvent) SetRoutingOverride(addr, nextHop string) {
	e.edit(func(m *Message) {
		for i := range m.Recipients {
			if strings.EqualFold(m.Recipients[i].Address, addr) {
				m.Recipients[i].NextHop = nextHop
			}
		}
	})
}

// ReplaceBody replaces the message body (end of data).
func (e *MessageEvent) ReplaceBody(body io.ReaderAt, size int64) {
	e.edit(func(m *Message) { m.Body, m.BodySize, m.BodyReplaced = body, size, true })
}

// Discard drops the message after the session has answered as if it were
// accepted; later agents are not called.
func (e *MessageEvent) Discard() { e.edit(func(m *Message) { m.Discard = true }) }

// Quarantine sends the message to mailbox instead of its recipients.
func (e *MessageEvent) Quarantine(mailbox string) {
	e.edit(func(m *Message) { m.Quarantine = mailbox })
}

// apply makes e's edits on m, copying the header and recipient slices
// first so that agents still holding the old views are not raced with.
func (e *MessageEvent) apply(m *Message) {
	if len(e.edits) == 0 {
		return
	}
	m.Header = slices.Clone(m.Header)
	m.Recipients = slices.Clone(m.Recipients)
	for _, f := range e.edits {
		f(m)
	}
}
