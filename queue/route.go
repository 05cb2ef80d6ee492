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
	env := m.rec.Env
	q.mu.Unlock()

	hops := make([]NextHop, len(idxs))
	errs := make([]error, len(idxs))
	for i, idx := range idxs {
		hops[i], errs[i] = q.opts.router.Route(q.stopCtx, &env, env.Recipients[idx])
	}
	if q.stopCtx.Err() != nil {
		return false // closing: the routing is redone on the next Open
	}

	q.mu.Lock()
	m.routing = false
	if m.removed {
		q.mu.Unlock()
		return true
	}
	now := q.opts.clock.Now()
	var outs []outcome
	var unreachable []string
	for i, idx := range idxs {
		if m.rec.Rcpts[idx].Status != rcptPending {
			continue
		}
		err := errs[i]
		var res *Result
		switch {
		case err == nil:
			q.addRcptLocked(m, hops[i], idx, now)
		case errors.Is(err, ErrUnroutable):
			m.unreachable = append(m.unreachable, idx)
			unreachable = append(unreachable, env.Recipients[idx].Address)
		case errors.As(err, &res) && res.Permanent():
			outs = append(outs, outcome{idx: idx, kind: outFailed, res: *res})
		default:
			if res == nil {
				res = &Result{Code: 451, Enhanced: "4.4.0", Text: "ROUTING; " + err.Error()}
			}
			next := now.Add(q.opts.retry.MessageRetryInterval)
			m.routeDue = earliest(m.routeDue, next)
			outs = append(outs, outcome{idx: idx, kind: outDeferred, res: *res, next: next})
		}
	}
	s := q.applyLocked(m, outs, now, "ROUTING", "", false)
	if s == nil && len(idxs) == 0 && !m.rec.pending() {
		s = &settlement{m: m, req: q.persistLocked(m)}
	}
	q.rescheduleLocked(m)
	q.mu.Unlock()
	if len(unreachable) > 0 {
		q.emit(Event{Type: EventUnreachable, Time: now, ID: m.id, Queue: QueueUnreachable, Source: "ROUTING", Sender: env.From, MessageID: env.MessageID, Recipients: unreachable})
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
