package main

import (
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/tracking"
	"github.com/hubedge/hubedge/transport"
)

// observer turns the transport's trace events into message-tracking
// records and metrics. Either may be off (nil). The queue is known only
// once the transport has started, so q and the metrics arrive then.
type observer struct {
	server  string
	track   *tracking.Log
	q       atomic.Pointer[queue.Queue]
	metrics atomic.Pointer[manage.Metrics]
}

func (o *observer) start(q *queue.Queue, m *manage.Metrics) {
	o.q.Store(q)
	o.metrics.Store(m)
}

func (o *observer) event(e transport.Event) {
	m := o.metrics.Load()
	switch e.Kind {
	case smtpx.EventConnect:
		m.SessionOpened(e.Connector)
	case smtpx.EventDisconnect:
		m.SessionClosed(e.Connector)
	case smtpx.EventRefuse, smtpx.EventReject:
		if e.Reply != nil {
			m.Refused(e.Connector, refusalReason(e.Reply.Code, e.Reply.Status))
		}
	case smtpx.EventTLS:
		m.TLSHandshake(manage.DirectionReceive, e.Connector, e.Err)
	case smtpx.EventQueued:
		m.MessageReceived(e.Connector)
		o.received(e)
	case transport.EventDelivery:
		switch d := e.Delivery; {
		case d == nil:
		case d.Kind == deliver.EventTLS:
			m.TLSHandshake(manage.DirectionSend, d.Hop.Connector, nil)
		case d.Kind == deliver.EventFailover && errors.Is(d.Err, deliver.ErrTLS):
			m.TLSHandshake(manage.DirectionSend, d.Hop.Connector, d.Err)
		case d.Kind == deliver.EventAttempt:
			m.DeliveryAttempt(d.Hop.Connector, manage.AttemptOutcome(d.Results, d.Err), d.Elapsed)
		}
	case smtpx.EventBackPressure:
		m.BackPressure("transport", int(e.Pressure))
	case transport.EventQueue:
		if e.Queue != nil {
			o.queueEvent(m, *e.Queue)
		}
	}
}

// commit feeds the group-commit metrics from the local queue's store
// (walstore.CommitObserver): one atomic load while metrics are off.
func (o *observer) commit(records int, sync time.Duration) {
	o.metrics.Load().GroupCommit(records, sync)
}

// poolCommit feeds them from a PostgreSQL queue
// (pgstore.Config.CommitObserver), its round trip in place of the fsync.
func (o *observer) poolCommit(records int, commit time.Duration) {
	o.metrics.Load().PoolCommit(records, commit)
}

// refusalReason sorts a refusal by its enhanced status code into the
// metrics' bounded set.
func refusalReason(code int, enh dsn.Status) manage.Reason {
	switch {
	case enh == dsn.Status{Class: 5, Subject: 7, Detail: 1} || enh == dsn.Status{Class: 5, Subject: 7, Detail: 54}:
		return manage.ReasonRelay
	case enh.Subject == 7:
		return manage.ReasonAuth
	case enh == dsn.Status{Class: 4, Subject: 3, Detail: 1} || enh == dsn.Status{Class: 4, Subject: 3, Detail: 2}:
		return manage.ReasonBackPressure
	case enh.Subject == 5 || enh.Subject == 3 || code == 452 || code == 552:
		return manage.ReasonLimits
	}
	return manage.ReasonOther
}

// received writes the RECEIVE record: the session's facts from the event,
// the envelope from the queue.
// subject is the message-subject column of a raw Subject field, or ""
// when the log does not record subjects (then it is not decoded at all).
func (o *observer) subject(raw string) string {
	if raw == "" || !o.track.SubjectLogging() {
		return ""
	}
	return tracking.Subject(raw)
}

func (o *observer) received(e transport.Event) {
	if o.track == nil {
		return
	}
	r := tracking.Record{Time: e.Time, EventID: tracking.Receive, Source: tracking.SourceSMTP,
		ConnectorID: o.server + `\` + e.Connector, SourceContext: e.Session,
		InternalMessageID: string(e.QueueID), ServerHostname: o.server, Directionality: "Incoming"}
	if e.Remote.IsValid() {
		r.ClientIP = e.Remote.Addr().String()
	}
	if q := o.q.Load(); q != nil {
		if info, err := q.Message(e.QueueID); err == nil {
			r.ReturnPath, r.Sender, r.TotalBytes, r.MessageID = orNull(info.From), info.From, info.Size, info.MessageID
			r.MessageSubject = o.subject(info.Subject)
			for _, rc := range info.Recipients {
				r.Recipients = append(r.Recipients, rc.Address)
			}
			r.RecipientCount = len(r.Recipients)
		}
	}
	o.track.Track(r)
}

func (o *observer) queueEvent(m *manage.Metrics, e queue.Event) {
	kind, connector := hopOf(e.Queue)
	local := kind == "MailboxDelivery"
	if local {
		connector = "mailbox" // local delivery has no send connector
	}
	switch e.Type {
	case queue.EventDeliver:
		if local {
			m.MessageDelivered(connector)
		} else {
			m.MessageSent(connector)
		}
	case queue.EventDefer:
		m.MessageDeferred(connector)
	case queue.EventFail:
		m.MessageFailed(connector)
	case queue.EventDSN:
		m.QueueEvent(e)
	}
	if o.track == nil || e.Type == queue.EventReceive && e.Source == "SMTP" {
		return // RECEIVE from SMTP is written with the session's facts
	}
	r := tracking.Record{Time: e.Time, EventID: tracking.EventID(e.Type), Source: tracking.Source(e.Source),
		InternalMessageID: string(e.ID), MessageID: e.MessageID, Recipients: e.Recipients, RecipientCount: len(e.Recipients),
		ReturnPath: orNull(e.Sender), Sender: e.Sender, ConnectorID: connector, ServerHostname: o.server,
		MessageSubject: o.subject(e.Subject)}
	if e.Type == queue.EventDeliver {
		r.EventID, r.Source = tracking.Send, tracking.SourceSMTP
		if local {
			r.EventID, r.Source = tracking.Deliver, tracking.SourceStoreDriver
		}
	}
	if e.Result != nil {
		r.RecipientStatus = []string{e.Result.String()}
	}
	// reference holds Message-IDs: on the DSN record, written about the
	// message reported on, the notification's; on the notification's own
	// records, the message's it reports on.
	r.Reference = e.Reference
	if e.Type == queue.EventDSN {
		r.InternalMessageID, r.MessageID, r.Reference = string(e.RelatedID), e.Reference, e.MessageID
	}
	o.track.Track(r)
}

// hopOf splits a delivery queue's identity, "Kind:Connector:Domain".
func hopOf(key string) (kind, connector string) {
	kind, rest, _ := strings.Cut(key, ":")
	connector, _, _ = strings.Cut(rest, ":")
	return kind, connector
}

func orNull(addr string) string {
	if addr == "" {
		return "<>"
	}
	return addr
}
