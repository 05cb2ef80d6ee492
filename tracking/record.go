package tracking

import (
	"strconv"
	"time"
)

// EventID is the event-id column: what happened to the message.
type EventID string

// Event IDs the transport writes. The reference system defines more
// (EXPAND, RESOLVE, TRANSFER, BADMAIL ...); a Record may carry any of them.
const (
	// Receive: the message was received and committed to the queue
	// (source SMTP, or STOREDRIVER for local submission).
	Receive EventID = "RECEIVE"
	// Send: the message was handed to another server over SMTP; the
	// server columns name that next hop.
	Send EventID = "SEND"
	// Deliver: the message was delivered to a local mailbox.
	Deliver EventID = "DELIVER"
	// Defer: delivery was delayed and will be retried.
	Defer EventID = "DEFER"
	// Fail: delivery failed for good; recipient-status has the reply.
	Fail EventID = "FAIL"
	// DSN: a delivery status notification was generated. The record is
	// the reported message's; reference is the notification's Message-ID.
	DSN EventID = "DSN"
	// PoisonMessage: the message was put into (or taken out of) the
	// poison queue.
	PoisonMessage EventID = "POISONMESSAGE"
	// Resubmit: the message went back through routing.
	Resubmit EventID = "RESUBMIT"
	// Redirect: the message was sent to an alternate recipient.
	Redirect EventID = "REDIRECT"
	// Expand and Resolve: a group was expanded, an address was resolved
	// to another; related-recipient-address holds the other address.
	Expand  EventID = "EXPAND"
	Resolve EventID = "RESOLVE"
	// Transfer: recipients moved to a copy of the message.
	Transfer EventID = "TRANSFER"
	// BadMail: a message that can be neither delivered nor returned.
	BadMail EventID = "BADMAIL"
)

// Source is the source column: the component that logged the event.
type Source string

// Sources.
const (
	SourceSMTP        Source = "SMTP"        // the SMTP receive or send side
	SourceStoreDriver Source = "STOREDRIVER" // local (mailbox) delivery
	SourceQueue       Source = "QUEUE"       // the queue: expiry, poison, retry
	SourceRouting     Source = "ROUTING"     // no route, resubmission
	SourceDNS         Source = "DNS"         // next-hop resolution
	SourceDSN         Source = "DSN"         // notification generation
	SourceAdmin       Source = "ADMIN"       // an administrator's action
	SourceAgent       Source = "AGENT"       // a transport agent
	SourcePickup      Source = "PICKUP"      // the pickup directory
)

// Fields is the #Fields header line's value: the columns of every record,
// in the reference system's order (its 2010 layout: the 21 original
// columns and the 5 added then).
const Fields = "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id," +
	"source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes," +
	"recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path," +
	"message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data"

// TimeLayout is the date-time column's layout (always UTC).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Record is one line of the log. It has no place for a message body or a
// credential; MessageSubject is written only when subject logging is on.
type Record struct {
	Time           time.Time // date-time, UTC, millisecond precision
	ClientIP       string    // the submitting server or client
	ClientHostname string
	ServerIP       string // our address on receipt, the next hop's on SEND
	ServerHostname string
	// SourceContext qualifies Source: the SMTP session ID, a pickup
	// file name, an agent's name.
	SourceContext string
	ConnectorID   string // "Server\Connector" or a send connector's name
	Source        Source
	EventID       EventID
	// InternalMessageID identifies the message on this server only (the
	// queue ID); MessageID is its Message-ID header, which survives hops.
	InternalMessageID string
	MessageID         string
	// Recipients and RecipientStatus are ";"-separated in the file,
	// RecipientStatus one reply per recipient (or one for all).
	Recipients      []string
	RecipientStatus []string
	TotalBytes      int64
	RecipientCount  int
	// RelatedRecipientAddress is the other address of EXPAND, RESOLVE
	// and REDIRECT events.
	RelatedRecipientAddress string
	// Reference links related messages by Message-ID: on a DSN record,
	// the notification generated; on the records of a notification, the
	// message it reports on.
	Reference      string
	MessageSubject string
	Sender         string // sender-address: the From or Sender header
	ReturnPath     string // MAIL FROM, "<>" for the null sender
	MessageInfo    string // e.g. the original arrival time on SEND
	Directionality string // "Originating" or "Incoming"
	TenantID       string
	// OriginalClientIP and OriginalServerIP are the addresses of the
	// first hop when the message came through a proxy.
	OriginalClientIP string
	OriginalServerIP string
	CustomData       string
}

// fieldCount is the number of columns in Fields.
const fieldCount = 26

// appendRecord appends r as one CSV line ending in CRLF; subject says
// whether MessageSubject is written.
func appendRecord(b []byte, r *Record, subject bool) []byte {
	b = r.Time.UTC().AppendFormat(b, TimeLayout)
	for i := 1; i < fieldCount; i++ {
		b = append(b, ',')
		switch i {
		case 11:
			b = appendList(b, r.Recipients, false)
		case 12:
			b = appendList(b, r.RecipientStatus, len(r.Recipients) > 1)
		case 13:
			b = strconv.AppendInt(b, r.TotalBytes, 10)
		case 14:
			b = strconv.AppendInt(b, int64(r.RecipientCount), 10)
		case 17:
			if subject {
				b = appendField(b, r.MessageSubject)
			}
		default:
			b = appendField(b, *r.text(i))
		}
	}
	return append(b, '\r', '\n')
}

// text returns the string column i (not a list, number or the time).
func (r *Record) text(i int) *string {
	switch i {
	case 1:
		return &r.ClientIP
	case 2:
		return &r.ClientHostname
	case 3:
		return &r.ServerIP
	case 4:
		return &r.ServerHostname
	case 5:
		return &r.SourceContext
	case 6:
		return &r.ConnectorID
	case 7:
		return (*string)(&r.Source)
	case 8:
		return (*string)(&r.EventID)
	case 9:
		return &r.InternalMessageID
	case 10:
		return &r.MessageID
	case 15:
		return &r.RelatedRecipientAddress
	case 16:
		return &r.Reference
	case 17:
		return &r.MessageSubject
	case 18:
		return &r.Sender
	case 19:
		return &r.ReturnPath
	case 20:
		return &r.MessageInfo
	case 21:
		return &r.Directionality
	case 22:
		return &r.TenantID
	case 23:
		return &r.OriginalClientIP
	case 24:
		return &r.OriginalServerIP
	case 25:
		return &r.CustomData
	}
	return nil
}

// Byte classes that change how a value is written.
const (
	hasQuoteable = 1 << iota // ',' or '"': the field is quoted
	hasNewline               // CR or LF: written as a space
	hasSemicolon             // ';': written as ',' in a split list
)

var byteClass = [256]uint8{',': hasQuoteable, '"': hasQuoteable, '\r': hasNewline, '\n': hasNewline, ';': hasSemicolon}

// classify returns the classes of the bytes of s, in one pass.
func classify(s string) uint8 {
	var c uint8
	for i := 0; i < len(s); i++ {
		c |= byteClass[s[i]]
	}
	return c
}

// appendList appends a ";"-joined list as one field. When the list must
// split back element by element (several recipients' statuses), a ";"
// inside an element is written as ",".
func appendList(b []byte, list []string, split bool) []byte {
	var c uint8
	for _, s := range list {
		c |= classify(s)
	}
	quote := c&hasQuoteable != 0 || split && c&hasSemicolon != 0
	if quote {
		b = append(b, '"')
	}
	for i, s := range list {
		if i > 0 {
			b = append(b, ';')
		}
		if quote || c&hasNewline != 0 {
			b = appendEscaped(b, s, quote, split)
		} else {
			b = append(b, s...)
		}
	}
	if quote {
		b = append(b, '"')
	}
	return b
}

// appendField appends s as a CSV field, quoted (inner quotes doubled) when
// it holds a comma or a quote.
func appendField(b []byte, s string) []byte {
	c := classify(s)
	if c&(hasQuoteable|hasNewline) == 0 {
		return append(b, s...)
	}
	quote := c&hasQuoteable != 0
	if quote {
		b = append(b, '"')
	}
	b = appendEscaped(b, s, quote, false)
	if quote {
		b = append(b, '"')
	}
	return b
}

// appendEscaped appends s with CR and LF as spaces, so every record is one
// line; inside quotes a quote is doubled; semi writes ";" as ",".
func appendEscaped(b []byte, s string, quoted, semi bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' || c == '\n':
			b = append(b, ' ')
		case c == '"' && quoted:
			b = append(b, '"', '"')
		case c == ';' && semi:
			b = append(b, ',')
		default:
			b = append(b, c)
		}
	}
	return b
}
