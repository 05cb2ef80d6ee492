package deliver

import (
	"context"
	"time"

	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds, in the order a delivery produces them.
const (
	// EventDial: a host is being dialled (Host, Addr).
	EventDial EventKind = "dial"
	// EventReuse: an idle connection to the hop is used again (Messages
	// counts those it carried before).
	EventReuse EventKind = "reuse"
	// EventFailover: a host failed (Err); the next one is tried.
	EventFailover EventKind = "failover"
	// EventTLS: STARTTLS completed (TLSVersion, VerifiedName when the
	// certificate was checked against a name).
	EventTLS EventKind = "tls"
	// EventAuth: AUTH succeeded (Mechanism).
	EventAuth EventKind = "auth"
	// EventHeadersStripped: the send-side header firewall removed fields
	// (Removed).
	EventHeadersStripped EventKind = "headers-stripped"
	// EventRecipient: the reply to one RCPT, or the DATA reply for an
	// accepted recipient (Recipient, Result).
	EventRecipient EventKind = "recipient"
	// EventPolicy: a DNS-routed host is held to a TLS policy (Policy:
	// DANE, MTA-STS, MTA-STS testing), or refused by one before dialling
	// (Err says why).
	EventPolicy EventKind = "tls-policy"
	// EventClose: a connection was closed (Messages it carried, Err why,
	// nil for a normal end).
	EventClose EventKind = "close"
	// EventAttempt: a delivery attempt to Hop ended, once per Deliver as
	// it returns: Elapsed from its start (next-hop resolution included)
	// to the final reply, Results as Deliver returns them, or Err when no
	// host of the hop took the message.
	EventAttempt EventKind = "attempt"
)

// Event is one step of a delivery, for demos, tests and protocol logs.
type Event struct {
	Kind EventKind
	Hop  queue.NextHop
	Host string // host name or IP literal
	Addr string // "ip:port" dialled

	TLSVersion   string // "TLS 1.3"
	TLSResumed   bool   // the session resumed one the host issued earlier
	VerifiedName string // name the certificate was verified against, "" if none
	Mechanism    string // SASL mechanism used
	Policy       string // the host's TLS policy (EventPolicy)
	Removed      []perms.Removed
	Recipient    string
	Result       *queue.Result
	Messages     int // messages carried by the connection so far
	Err          error

	Elapsed time.Duration  // the attempt's duration (EventAttempt)
	Results []queue.Result // the attempt's results (EventAttempt)
}

// Deliver implements queue.Deliverer: it carries msg to rcpts through the
// send connector hop.Connector and returns one Result per recipient, or a
// *HopError when no host of the hop could be used.
func (d *Deliverer) Deliver(ctx context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	if d.opts.trace == nil {
		return d.deliver(ctx, hop, msg, rcpts)
	}
	start := time.Now()
	res, err := d.deliver(ctx, hop, msg, rcpts)
	d.emit(Event{Kind: EventAttempt, Hop: hop, Elapsed: time.Since(start), Results: res, Err: err})
	return res, err
}

func (d *Deliverer) emit(e Event) {
	if d.opts.trace != nil {
		d.opts.trace(e)
	}
}
