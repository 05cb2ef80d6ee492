package queue

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/hubedge/hubedge/dsn"
)

// outcomeKind is the verdict on one recipient.
type outcomeKind uint8

const (
	outDelivered outcomeKind = iota
	outFailed
	outDeferred
	outDropped // failed without a DSN
)

type outcome struct {
	idx  int
	kind outcomeKind
	res  Result
	next time.Time // deferred: not before
}

// settlement is the work left after recording outcomes: events to report
// and, if a DSN is due, the notification to build. Without a DSN the
// record update is already submitted (req).
type settlement struct {
	m       *message
	events  []Event
	reports []dsn.RecipientReport
	delay   bool // a delay DSN rather than a final one
	req     *commitReq
}

// startLocked marks e in flight and returns the delivery job.
func (q *Queue) startLocked(e *entry) func() {
	m, hq := e.m, e.q
	e.state = entryActive
	hq.active++
	q.active++
	m.inflight++
	rcpts := slices.Clone(e.rcpts)
	env := m.rec.Env
	trap := &corruptTrap{}
	a := &attempt{q: q, m: m}
	msg := &Message{ID: m.id, Envelope: env, open: trap.wrap(a.marked(q.bodyOpener(m.id, env.Size, m.rec.Header)))}
	list := make([]Recipient, len(rcpts))
	for i, idx := range rcpts {
		list[i] = env.Recipients[idx]
		msg.Attempts = max(msg.Attempts, m.rec.Rcpts[idx].Attempts)
	}
	return func() {
		defer q.work.Done()
		results, err := q.opts.deliverer.Deliver(q.runCtx, hq.hop, msg, list)
		a.end()
		q.finishAttempt(e, a, rcpts, results, err, trap.get(), trap.storeFailure())
	}
}

// attempt is one delivery attempt of a message. The first time its body is
// opened, the record is committed as in flight before the body is handed
// out, so that a crash while the message's content is being processed
// counts toward PoisonThreshold on restart, and a crash before that (while
// connecting, say) does not: a crash loop unrelated to the message never
// poisons it. The commit overlaps with the connection set-up instead of
// delaying it.
type attempt struct {
	q    *Queue
	m    *message
	once sync.Once
	// err is the failure of the in-flight commit; q.mu guards it, and
	// once orders it before the body is handed out.
	err    error
	ending bool // the Deliverer returned; q.mu guards it
}

// storeRetryDelay is how soon an attempt that could not be marked in
// flight, because the store failed, is made again: the fault is local
// (a database restarting, say), not the next hop's.
const storeRetryDelay = 5 * time.Second

func (a *attempt) marked(open func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		a.once.Do(a.mark)
		if a.err != nil {
			return nil, a.err
		}
		return open()
	}
}

func (a *attempt) mark() {
	a.q.mu.Lock()
	if a.ending {
		// A Deliverer opening the body after returning is not delivering.
		a.q.mu.Unlock()
		a.err = ErrNotFound
		return
	}
	a.m.rec.InFlight = true
	req := a.q.persistLocked(a.m)
	a.q.mu.Unlock()
	if err := req.wait(); err != nil {
		a.q.mu.Lock()
		a.err = fmt.Errorf("queue: record in-flight state: %w", err)
		a.q.mu.Unlock()
	}
}

func (a *attempt) end() {
	a.q.mu.Lock()
	a.ending = true
	a.q.mu.Unlock()
}

// finishAttempt records the results of one delivery attempt. corrupt is
// set when the Deliverer met a damaged body: whatever it reports, the
// recipients are deferred and the message moves to Poison (suspended,
// shown with the damage as its last error) rather than be retried or
// delivered damaged; the next hop is not blamed. Nor is it when the store
// failed (storeErr, or the in-flight mark), say a database restarting
// under a shared store: the recipients are deferred for storeRetryDelay.
func (q *Queue) finishAttempt(e *entry, a *attempt, rcpts []int, results []Result, err, corrupt, storeErr error) {
	q.mu.Lock()
	now := q.opts.clock.Now()
	m, hq := e.m, e.q
	hq.active--
	q.active--
	m.inflight--
	if m.inflight == 0 {
		m.rec.InFlight = false
		m.rec.Crashes = 0
	}
	hq.lastTry, m.lastAttemptAt = now, now
	e.state = entryParked
	if errors.Is(a.err, ErrNotOwned) {
		// Another process of a shared store took the message over when
		// this one's lease lapsed: it is that process's to deliver.
		q.forgetLocked(m)
		q.mu.Unlock()
		q.kick()
		q.opts.logger.Warn("queue: message taken over by another process of the shared store; dropped here", "id", m.id)
		return
	}

	var outs []outcome
	var poisoned bool
	switch {
	case corrupt != nil:
		poisoned = !m.rec.Poison
		m.rec.Poison = true
		m.lastError = corrupt.Error()
		res := Result{Code: 451, Enhanced: "4.3.0", Text: "stored body damaged; held in the Poison queue"}
		for _, idx := range rcpts {
			outs = append(outs, outcome{idx: idx, kind: outDeferred, res: res})
		}
		err = corrupt
	case err != nil && q.runCtx.Err() != nil:
		// Cancelled by Close: not the next hop's fault; retry on restart.
	case errors.Is(a.err, ErrStoreFailed) || storeErr != nil && err != nil:
		if err = a.err; err == nil {
			err = storeErr
		}
		m.lastError = err.Error()
		res := Result{Code: 451, Enhanced: "4.3.0", Text: "queue store unavailable; delivery postponed"}
		for _, idx := range rcpts {
			outs = append(outs, outcome{idx: idx, kind: outDeferred, res: res, next: now.Add(storeRetryDelay)})
		}
	case err == nil && len(results) != len(rcpts):
		err = fmt.Errorf("queue: deliverer returned %d results for %d recipients", len(results), len(rcpts))
		fallthrough
	case err != nil:
		hq.failures++
		hq.retryAt = now.Add(q.opts.retry.connRetryDelay(hq.failures))
		res := Result{Code: 451, Enhanced: "4.4.0", Text: err.Error()}
		hq.lastError = err.Error()
		// An error that carries its own transient status (a *Result) keeps
		// it: wrapping it in 4.4.0 would show two codes and hide the specific one.
		if r := (*Result)(nil); errors.As(err, &r) && r.Temporary() {
			res, hq.lastError = *r, r.String()
		}
		m.lastError = hq.lastError
		for _, idx := range rcpts {
			outs = append(outs, outcome{idx: idx, kind: outDeferred, res: res, next: hq.retryAt})
		}
	default:
		hq.failures, hq.retryAt, hq.lastError = 0, time.Time{}, ""
		for i, idx := range rcpts {
			outs = append(outs, q.judge(idx, results[i], now))
			if results[i].Temporary() {
				m.lastError = results[i].String()
			}
		}
	}
	s := q.applyLocked(m, outs, now, "SMTP", hq.key, true)
	if err != nil && s != nil && len(s.events) > 0 && s.events[0].Type == EventDefer {
		s.events[0].Err = err
	}
	e.rcpts = pendingOnly(m, e.rcpts)
	var rs *settlement
	if m.removeReq && m.inflight == 0 {
		rs = q.removeLocked(m, m.removeNDR, now)
	}
	rerouted := false
	if len(e.rcpts) == 0 {
		if _, ok := m.hops[hq.key]; ok {
			q.dropEntryLocked(e)
		}
	} else if e.epoch != q.routeEpoch && !m.routing && !m.removeReq {
		// Routed under a configuration Reroute replaced: route again.
		q.dropEntryLocked(e)
		q.submitLocked(m)
		rerouted = true
	} else {
		e.due = time.Time{}
		for _, idx := range e.rcpts {
			e.due = later(e.due, m.rec.Rcpts[idx].Next)
		}
		q.placeLocked(e, now)
	}
	if s == nil && rs == nil {
		// Nothing decided (shutdown): still clear the in-flight marker.
		s = &settlement{m: m, req: q.com.submitLazy([]Op{q.snapshotLocked(m)})}
	}
	q.rescheduleLocked(m)
	q.mu.Unlock()
	q.kick()
	if poisoned {
		q.opts.logger.Error("queue: damaged body; message moved to Poison", "id", m.id, "err", corrupt)
		q.emit(Event{Type: EventPoison, Time: now, ID: m.id, Source: "QUEUE", Err: corrupt}.about(&m.rec.Env))
	}
	q.finish(s)
	q.finish(rs)
	if rerouted {
		q.emit(Event{Type: EventResubmit, Time: now, ID: m.id, Queue: hq.key, Source: "ROUTING"}.about(&m.rec.Env))
	}
}

// judge turns a Deliverer result into an outcome.
func (q *Queue) judge(idx int, r Result, now time.Time) outcome {
	switch {
	case r.Success():
		return outcome{idx: idx, kind: outDelivered, res: r}
	case r.Permanent():
		return outcome{idx: idx, kind: outFailed, res: r}
	}
	return outcome{idx: idx, kind: outDeferred, res: r, next: now.Add(q.opts.retry.MessageRetryInterval)}
}

// applyLocked records outcomes in m, submits the record (unless a DSN must
// be built first, which commits it together with the DSN) and returns the
// rest of the work, or nil if there were no outcomes. The outcomes of a
// delivery attempt are committed lazily: lost in a crash, they only mean
// the attempt is made again.
func (q *Queue) applyLocked(m *message, outs []outcome, now time.Time, source, queueKey string, attempt bool) *settlement {
	if len(outs) == 0 {
		return nil
	}
	s := &settlement{m: m}
	byKind := map[EventType]*Event{}
	expired := !m.rec.Poison && !q.expiry(m).After(now)
	for _, o := range outs {
		st := &m.rec.Rcpts[o.idx]
		if st.Status != rcptPending {
			continue // decided meanwhile (expiry, removal)
		}
		if o.kind == outDeferred && expired {
			o.kind, o.res = outFailed, expiredResult(o.res)
		}
		res := o.res
		st.Last = &res
		st.Attempts++
		rcpt := m.rec.Env.Recipients[o.idx]
		var typ EventType
		switch o.kind {
		case outDelivered:
			st.Status, typ = rcptDelivered, EventDeliver
			if rcpt.Notify.WantSuccess() {
				s.reports = append(s.reports, q.report(m, o.idx, dsn.Delivered, now))
			}
		case outFailed:
			st.Status, typ = rcptFailed, EventFail
			if rcpt.Notify.WantFailure() {
				s.reports = append(s.reports, q.report(m, o.idx, dsn.Failed, now))
			}
		case outDeferred:
			st.Next, typ = o.next, EventDefer
		case outDropped:
			st.Status, typ = rcptFailed, EventFail
		}
		ev := byKind[typ]
		if ev == nil {
			e := Event{Type: typ, Time: now, ID: m.id, Queue: queueKey, Source: source, Result: &res}.about(&m.rec.Env)
			ev = &e
			byKind[typ] = ev
		}
		ev.Recipients = append(ev.Recipients, rcpt.Address)
		if typ == EventDefer && (ev.NextRetry.IsZero() || o.next.Before(ev.NextRetry)) {
			ev.NextRetry = o.next
		}
	}
	for _, typ := range []EventType{EventDefer, EventDeliver, EventFail} {
		if ev := byKind[typ]; ev != nil {
			s.events = append(s.events, *ev)
		}
	}
	q.pruneLocked(m)
	if m.rec.Env.From == "" {
		s.reports = nil // never a DSN to the null sender
	}
	switch {
	case len(s.reports) > 0:
		m.holds++
	case attempt:
		s.req = q.com.submitLazy([]Op{q.snapshotLocked(m)})
	default:
		s.req = q.persistLocked(m)
	}
	return s
}

// expiredResult is the 4.4.7 failure of an expired recipient, keeping the
// last reply for the administrator.
func expiredResult(last Result) Result {
	r := resultExpired
	if last.Code != 0 && last.Text != "" {
		r.Text += "; last error: " + last.String()
	}
	return r
}

// expireLocked fails every recipient of m that is not in flight; those in
// flight fail when their attempt returns.
func (q *Queue) expireLocked(m *message, now time.Time) *settlement {
	active := map[int]bool{}
	for _, e := range m.hops {
		if e.state == entryActive {
			for _, i := range e.rcpts {
				active[i] = true
			}
		}
	}
	unreach := map[int]bool{}
	for _, i := range m.unreachable {
		unreach[i] = true
	}
	var outs []outcome
	for i, st := range m.rec.Rcpts {
		if st.Status != rcptPending || active[i] {
			continue
		}
		res := resultExpired
		switch {
		case unreach[i]:
			res = resultUnreachable
		case st.Last != nil:
			res = expiredResult(*st.Last)
		}
		outs = append(outs, outcome{idx: i, kind: outFailed, res: res})
	}
	return q.applyLocked(m, outs, now, "QUEUE", "", false)
}

// removeLocked fails what remains of m for an administrator, with or
// without NDR.
func (q *Queue) removeLocked(m *message, withNDR bool, now time.Time) *settlement {
	m.removeReq = false
	unreach := map[int]bool{}
	for _, i := range m.unreachable {
		unreach[i] = true
	}
	var outs []outcome
	for i, st := range m.rec.Rcpts {
		if st.Status != rcptPending {
			continue
		}
		res := resultAdminRemove
		if unreach[i] {
			res = resultUnreachable
		}
		outs = append(outs, outcome{idx: i, kind: outFailed, res: res})
	}
	s := q.applyLocked(m, outs, now, "ADMIN", "", false)
	if s == nil {
		return nil
	}
	if !withNDR && len(s.reports) > 0 {
		s.reports = nil
		m.holds--
		s.req = q.persistLocked(m)
	}
	s.events = append(s.events, Event{Type: EventRemove, Time: now, ID: m.id, Source: "ADMIN"}.about(&m.rec.Env))
	return s
}

// finish reports s's events and completes its commit or DSN.
func (q *Queue) finish(s *settlement) {
	if s == nil {
		return
	}
	for _, ev := range s.events {
		q.emit(ev)
	}
	if len(s.reports) > 0 {
		q.notify(s)
		return
	}
	if s.req != nil {
		if err := s.req.wait(); err != nil {
			q.opts.logger.Error("queue: persist message state", "id", s.m.id, "err", err)
			q.retryDelete(s.m, s.req.ops, err)
		}
	}
}

// retryDelete commits again, every storeRetryDelay while the store fails,
// the deletion of a finished message that a failed commit left in the
// store: the queue has forgotten it, so nothing else would, and a store
// shared with other processes would hand it to one of them to deliver
// again. Other state needs no such retry: the next change of the message
// commits it whole.
func (q *Queue) retryDelete(m *message, ops []Op, err error) {
	q.mu.Lock()
	removed := m.removed
	q.mu.Unlock()
	if !removed || !errors.Is(err, ErrStoreFailed) || len(ops) != 1 || ops[0].Kind != OpDelete {
		return
	}
	q.opts.clock.AfterFunc(storeRetryDelay, func() {
		if err := q.com.commit(ops...); err != nil {
			q.retryDelete(m, ops, err)
		}
	})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// bodyOpener returns a Message.Open that streams id's body and reports a
// short body as io.ErrUnexpectedEOF rather than a silent truncation; with
// a header (record.Header) it serves that header in place of the stored
// one.
func (q *Queue) bodyOpener(id ID, size int64, header []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := q.store.OpenBody(id)
		if err != nil {
			return nil, err
		}
		sr := &sizedReader{rc: rc, left: size}
		if header == nil {
			return sr, nil
		}
		return newReheadered(header, sr)
	}
}

type sizedReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *sizedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (r *sizedReader) Close() error { return r.rc.Close() }

// corruptTrap remembers a damaged body, or a failing store, met by any
// reader a Message.Open handed out, whatever the Deliverer does with the
// error.
type corruptTrap struct {
	mu    sync.Mutex
	err   error
	store error
}

func (t *corruptTrap) note(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case errors.Is(err, ErrCorrupt):
		if t.err == nil {
			t.err = err
		}
	case errors.Is(err, ErrStoreFailed):
		if t.store == nil {
			t.store = err
		}
	}
}

func (t *corruptTrap) storeFailure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.store
}

func (t *corruptTrap) get() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *corruptTrap) wrap(open func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			t.note(err)
			return nil, err
		}
		return &trappedReader{rc: rc, t: t}, nil
	}
}

type trappedReader struct {
	rc io.ReadCloser
	t  *corruptTrap
}

func (r *trappedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		r.t.note(err)
	}
	return n, err
}

func (r *trappedReader) Close() error { return r.rc.Close() }
