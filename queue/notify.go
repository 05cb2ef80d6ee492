package queue

import (
	"context"
	"io"
	"time"

	"github.com/hubedge/hubedge/dsn"
)

// report builds the RFC 3464 per-recipient fields for recipient idx from
// its recorded state.
func (q *Queue) report(m *message, idx int, action dsn.Action, now time.Time) dsn.RecipientReport {
	st, rcpt := m.rec.Rcpts[idx], m.rec.Env.Recipients[idx]
	rr := dsn.RecipientReport{
		FinalRecipient:    rcpt.Address,
		OriginalRecipient: rcpt.ORCPT,
		Action:            action,
		LastAttempt:       now,
	}
	if !m.lastAttemptAt.IsZero() {
		rr.LastAttempt = m.lastAttemptAt
	}
	if st.Last != nil {
		rr.Status = st.Last.status()
		rr.RemoteMTA = st.Last.RemoteMTA
		rr.DiagnosticCode = "smtp; " + st.Last.String()
	}
	switch action {
	case dsn.Delayed:
		if rr.Status.Class != 4 {
			rr.Status = dsn.Status{Class: 4, Subject: 4, Detail: 7}
		}
		rr.WillRetryUntil = q.expiry(m)
	case dsn.Delivered:
		if rr.Status.Class != 2 {
			rr.Status = dsn.Status{Class: 2}
		}
	}
	return rr
}

// delayLocked prepares the one delay DSN of m: the pending recipients
// that accept delay notifications (NOTIFY absent or with DELAY).
func (q *Queue) delayLocked(m *message, now time.Time) *settlement {
	s := &settlement{m: m, delay: true}
	for i, st := range m.rec.Rcpts {
		if st.Status == rcptPending && m.rec.Env.Recipients[i].Notify.WantDelay() {
			s.reports = append(s.reports, q.report(m, i, dsn.Delayed, now))
		}
	}
	if len(s.reports) > 0 {
		m.holds++
	} else {
		s.req = q.persistLocked(m) // records DelaySent
	}
	return s
}

// notify builds the DSN of s from m's stored body and enqueues it to m's
// sender. The DSN and m's updated record (or its deletion) commit together,
// so a crash cannot lose the notification nor send it twice for one
// verdict.
func (q *Queue) notify(s *settlement) {
	m := s.m
	env := m.rec.Env // immutable after Enqueue
	now := q.opts.clock.Now()
	id := q.ids.Next(now)
	n := &dsn.Notification{
		From:      q.opts.postmaster,
		To:        env.From,
		Date:      now,
		MessageID: "<" + string(id) + "@" + q.opts.reportingMTA + ">",
		Boundary:  "=_" + string(id),
		Report: dsn.Report{
			ReportingMTA: q.opts.reportingMTA,
			EnvID:        env.EnvID,
			ArrivalDate:  env.Received,
			Recipients:   s.reports,
		},
		// Above the attach limit Exchange returns headers only.
		ReturnFull: env.Ret == dsn.RetFull && env.Size <= dsn.DefaultMaxOriginal,
		EightBit:   env.EightBitMIME || env.SMTPUTF8,
	}
	if body, err := q.bodyOpener(m.id, env.Size, m.rec.Header)(); err == nil {
		defer body.Close()
		n.Original = body
	} else {
		q.opts.logger.Warn("queue: DSN without original", "id", m.id, "err", err)
	}
	dsnEnv := Envelope{
		Recipients:   []Recipient{{Address: env.From, Notify: dsn.NotifyNever}},
		MessageID:    n.MessageID,
		Reference:    env.MessageID,
		SMTPUTF8:     env.SMTPUTF8,
		EightBitMIME: n.EightBit,
		Received:     now,
	}
	released := false // guarded by q.mu, like holds
	release := func() []Op {
		released = true
		m.holds--
		return []Op{q.snapshotLocked(m)}
	}
	err, werr := q.enqueueDSN(id, dsnEnv, n, release)
	if err != nil && werr != nil && n.Original != nil && !released {
		// The original could not be read back (a short or damaged body):
		// RFC 3464 §2 makes the returned content optional, and the
		// notification matters more. Nothing of the first try committed.
		q.opts.logger.Warn("queue: DSN without original", "id", m.id, "err", werr)
		n.Original = nil
		err, _ = q.enqueueDSN(id, dsnEnv, n, release)
	}
	if err != nil {
		q.opts.logger.Error("queue: enqueue DSN", "id", m.id, "err", err)
		q.mu.Lock()
		if !released {
			m.holds--
		}
		req := q.persistLocked(m)
		q.mu.Unlock()
		_ = req.wait()
		return
	}
	q.emit(Event{Type: EventDSN, Time: now, ID: id, RelatedID: m.id, Source: "DSN", MessageID: n.MessageID, Reference: env.MessageID,
		Recipients: []string{env.From}, Detail: dsnKind(s)})
}

// enqueueDSN writes n into the queue as message id; werr is the error of
// building it, if that is what failed.
func (q *Queue) enqueueDSN(id ID, env Envelope, n *dsn.Notification, release func() []Op) (err, werr error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		werr = dsn.Write(pw, n)
		pw.CloseWithError(werr)
	}()
	err = q.enqueue(context.Background(), id, env, pr, 0, release, "DSN")
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if enqueue stopped early
	<-done
	return err, werr
}

// dsnKind names the notification for the DSN event: "failure", "delay" or
// "success".
func dsnKind(s *settlement) string {
	if s.delay {
		return "delay"
	}
	for _, r := range s.reports {
		if r.Action == dsn.Failed {
			return "failure"
		}
	}
	return "success"
}
