package queue

import "errors"

// categorizer routes submitted messages, one at a time, in arrival order:
// each pending recipient that has no next hop yet is passed to the Router
// and joins the delivery queue of its hop, the Unreachable queue, or fails.
func (q *Queue) categorizer() {
	defer q.loops.Done()
	for {
		select {
		case <-q.stopCtx.Done():
			return
		case <-q.catWake:
		}
		for q.stopCtx.Err() == nil && q.routeNext() {
		}
	}
}

// routeNext routes the head of the submission list and reports whether
// there was one.
func (q *Queue) routeNext() bool {
	q.mu.Lock()
	// A suspended Submission queue holds its messages unrouted;
	// ResumeQueue kicks the categorizer again.
	if len(q.submission) == 0 || q.opts.router == nil || q.subSuspended {
		q.mu.Unlock()
		return false
	}
	m := q.submission[0]
	q.submission[0] = nil
	q.submission = q.submission[1:]
	idxs := q.unroutedLocked(m)
	env, header := m.rec.Env, m.rec.Header
	_, whole := q.opts.router.(MessageRouter)
	if whole {
		m.holds++ // RouteMessage may read the body
	}
	q.mu.Unlock()

	routes, replaced := q.routeAll(m.id, &env, header, idxs)

	q.mu.Lock()
	if whole {
		m.holds--
	}
	if q.stopCtx.Err() != nil {
		q.mu.Unlock()
		return false // closing: the routing is redone on the next Open
	}
	m.routing = false
	if m.removed {
		q.mu.Unlock()
		return true
	}
	now := q.opts.clock.Now()
	at, changed := q.placeRoutesLocked(m, idxs, routes)
	if replaced != nil {
		m.rec.Header, changed = replaced, true
	}
	var outs []outcome
	var unreachable []string
	for i, idx := range at {
		if idx < 0 || m.rec.Rcpts[idx].Status != rcptPending {
			continue
		}
		r := routes[i]
		var res *Result
		switch {
		case r.Drop:
			if !errors.As(r.Err, &res) {
				res = &resultDropped
			}
			outs = append(outs, outcome{idx: idx, kind: outDropped, res: *res})
		case r.Err == nil:
			q.addRcptLocked(m, r.Hop, idx, now)
		case errors.Is(r.Err, ErrUnroutable):
			m.unreachable = append(m.unreachable, idx)
			unreachable = append(unreachable, m.rec.Env.Recipients[idx].Address)
		case errors.As(r.Err, &res) && res.Permanent():
			outs = append(outs, outcome{idx: idx, kind: outFailed, res: *res})
		default:
			if res == nil {
				res = &Result{Code: 451, Enhanced: "4.4.0", Text: "ROUTING; " + r.Err.Error()}
			}
			next := now.Add(q.opts.retry.MessageRetryInterval)
			m.routeDue = earliest(m.routeDue, next)
			outs = append(outs, outcome{idx: idx, kind: outDeferred, res: *res, next: next})
		}
	}
	s := q.applyLocked(m, outs, now, "ROUTING", "", false)
	// A changed envelope is made durable before its new recipients are
	// delivered; a message with nothing left to do is deleted.
	if s == nil && (changed || !m.rec.pending()) {
		s = &settlement{m: m, req: q.persistLocked(m)}
	}
	q.rescheduleLocked(m)
	q.mu.Unlock()
	if len(unreachable) > 0 {
		q.emit(Event{Type: EventUnreachable, Time: now, ID: m.id, Queue: QueueUnreachable, Source: "ROUTING", Recipients: unreachable}.about(&env))
	}
	q.finish(s)
	q.kick()
	return true
}

// unroutedLocked lists m's pending recipients that are in no delivery
// queue and not unreachable.
func (q *Queue) unroutedLocked(m *message) []int {
	placed := map[int]bool{}
	for _, e := range m.hops {
		for _, i := range e.rcpts {
			placed[i] = true
		}
	}
	for _, i := range m.unreachable {
		placed[i] = true
	}
	var idxs []int
	for i, st := range m.rec.Rcpts {
		if st.Status == rcptPending && !placed[i] {
			idxs = append(idxs, i)
		}
	}
	return idxs
}
