package queue

import (
	"container/heap"
	"container/list"
	"time"
)

// scheduler is the engine's clock-driven loop: it fires message timers
// (routing retries, expiry, delay DSNs), moves due entries to their ready
// lists and starts deliveries within the concurrency limits. It sleeps on
// one Clock timer armed for the earliest thing due.
func (q *Queue) scheduler() {
	defer q.loops.Done()
	var t Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		select {
		case <-q.stopCtx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		next, jobs := q.tickLocked(q.opts.clock.Now())
		for _, j := range jobs {
			q.work.Add(1)
			q.workers.Go(j)
		}
		q.mu.Unlock()
		if t != nil {
			t.Stop()
			t = nil
		}
		if next.IsZero() {
			continue
		}
		t = q.opts.clock.AfterFunc(next.Sub(q.opts.clock.Now()), q.kick)
		// Time may have moved between computing next and arming the timer
		// (a fake clock in tests, a suspended VM): look again.
		if !q.opts.clock.Now().Before(next) {
			q.kick()
		}
	}
}

// tickLocked does everything due at now and returns the time of the next
// thing due (zero if none) and the jobs to run in their own goroutines.
func (q *Queue) tickLocked(now time.Time) (time.Time, []func()) {
	var jobs []func()
	for len(q.timers) > 0 && !q.timers[0].wakeAt.After(now) {
		m := heap.Pop(&q.timers).(*message)
		if j := q.fireLocked(m, now); j != nil {
			jobs = append(jobs, j)
		}
		q.rescheduleLocked(m)
	}
	var next time.Time
	if len(q.timers) > 0 {
		next = q.timers[0].wakeAt
	}
	for key, hq := range q.hops {
		if hq.entries == 0 && hq.active == 0 {
			if hq.idleSince.IsZero() {
				hq.idleSince = now
			}
			idleEnd := hq.idleSince.Add(q.opts.idleTime)
			if !idleEnd.After(now) {
				delete(q.hops, key)
				continue
			}
			next = earliest(next, idleEnd)
			continue
		}
		hq.idleSince = time.Time{}
		if q.stoppedLocked(hq) {
			continue
		}
		for hq.waiting.Len() > 0 && !hq.waiting[0].due.After(now) {
			e := heap.Pop(&hq.waiting).(*entry)
			e.state, e.elem = entryReady, hq.ready.PushBack(e)
		}
		if hq.waiting.Len() > 0 {
			next = earliest(next, hq.waiting[0].due)
		}
		if hq.failures > 0 && now.Before(hq.retryAt) {
			if hq.ready.Len() > 0 {
				next = earliest(next, hq.retryAt)
			}
			continue
		}
		jobs = q.dispatchLocked(hq, jobs)
	}
	return next, jobs
}

// dispatchLocked starts deliveries from hq's ready list. A queue in Retry
// sends one probe at a time until a connection succeeds.
func (q *Queue) dispatchLocked(hq *hopQueue, jobs []func()) []func() {
	if q.opts.deliverer == nil || q.closed {
		return jobs
	}
	limit := q.opts.maxPerHop
	if hq.failures > 0 {
		limit = 1
	}
	for hq.active < limit && q.active < q.opts.maxConcurrency && hq.ready.Len() > 0 {
		e := hq.ready.Remove(hq.ready.Front()).(*entry)
		e.elem = nil
		if e.m.rec.Suspended || e.m.rec.Poison || e.m.removeReq {
			e.state = entryParked
			continue
		}
		jobs = append(jobs, q.startLocked(e))
		if q.flow != nil { // an Enqueue waits for deliveries to catch up
			close(q.flow)
			q.flow = nil
		}
	}
	return jobs
}

// fireLocked handles m's timer and returns a job if notification or
// settlement work must follow.
func (q *Queue) fireLocked(m *message, now time.Time) func() {
	if !m.routeDue.IsZero() && !m.routeDue.After(now) {
		m.routeDue = time.Time{}
		q.submitLocked(m)
	}
	if !m.rec.Poison && !m.expired && !q.expiry(m).After(now) {
		m.expired, m.rec.DelaySent = true, true
		if s := q.expireLocked(m, now); s != nil {
			return func() { defer q.work.Done(); q.finish(s) }
		}
		return nil
	}
	if at := q.delayAt(m); !at.IsZero() && !at.After(now) {
		m.rec.DelaySent = true
		if s := q.delayLocked(m, now); s != nil {
			return func() { defer q.work.Done(); q.finish(s) }
		}
	}
	return nil
}

func (q *Queue) expiry(m *message) time.Time {
	return m.rec.Env.Received.Add(q.opts.retry.MessageExpirationTimeout)
}

// delayAt is when m's delay DSN is due, or zero if none will be.
func (q *Queue) delayAt(m *message) time.Time {
	d := q.opts.retry.DelayNotificationTimeout
	if d <= 0 || m.rec.DelaySent || m.rec.Env.From == "" || m.rec.Poison {
		return time.Time{}
	}
	return m.rec.Env.Received.Add(d)
}

// rescheduleLocked puts m in the timer heap at its next timer.
func (q *Queue) rescheduleLocked(m *message) {
	var t time.Time
	if !m.removed && m.rec.pending() {
		t = m.routeDue
		if !m.rec.Poison && !m.expired {
			t = earliest(t, q.expiry(m))
		}
		t = earliest(t, q.delayAt(m))
	}
	q.timers.setWake(m, t)
}

// submitLocked queues m for (re)routing of its unrouted recipients.
func (q *Queue) submitLocked(m *message) {
	if m.routing || m.removed {
		return
	}
	m.routing = true
	q.submission = append(q.submission, m)
	q.kickCategorizer()
}

func (q *Queue) hopLocked(hop NextHop) *hopQueue {
	key := hop.Key()
	hq := q.hops[key]
	if hq == nil {
		hq = &hopQueue{hop: hop, key: key, ready: list.New()}
		q.hops[key] = hq
	}
	return hq
}

// addRcptLocked adds recipient idx to m's entry for hop.
func (q *Queue) addRcptLocked(m *message, hop NextHop, idx int, now time.Time) {
	e := m.hops[hop.Key()]
	if e == nil {
		hq := q.hopLocked(hop)
		e = &entry{m: m, q: hq, heapIdx: -1, epoch: q.routeEpoch}
		hq.entries++
		hq.idleSince = time.Time{}
		m.hops[hq.key] = e
	}
	e.rcpts = append(e.rcpts, idx)
	if e.state == entryActive {
		return // joins the entry when the running attempt ends
	}
	if next := m.rec.Rcpts[idx].Next; len(e.rcpts) == 1 || next.Before(e.due) {
		e.due = next
	}
	q.placeLocked(e, now)
}

// placeLocked puts a non-active entry where its message's state and due
// time say: parked, ready or waiting.
func (q *Queue) placeLocked(e *entry, now time.Time) {
	q.unlinkLocked(e)
	switch {
	case e.m.rec.Suspended || e.m.rec.Poison || e.m.removeReq:
		e.state = entryParked
	case !e.due.After(now):
		e.state, e.elem = entryReady, e.q.ready.PushBack(e)
	default:
		e.state = entryWaiting
		heap.Push(&e.q.waiting, e)
	}
	q.kick()
}

// unlinkLocked takes e out of its queue's lists.
func (q *Queue) unlinkLocked(e *entry) {
	if e.elem != nil {
		e.q.ready.Remove(e.elem)
		e.elem = nil
	}
	if e.heapIdx >= 0 {
		heap.Remove(&e.q.waiting, e.heapIdx)
	}
	if e.state != entryActive {
		e.state = entryParked
	}
}

// dropEntryLocked removes a non-active entry from its delivery queue.
func (q *Queue) dropEntryLocked(e *entry) {
	q.unlinkLocked(e)
	e.q.entries--
	delete(e.m.hops, e.q.key)
}

// pruneLocked removes decided recipients from m's idle entries and drops
// entries left empty.
func (q *Queue) pruneLocked(m *message) {
	for _, e := range m.hops {
		if e.state == entryActive {
			continue
		}
		e.rcpts = pendingOnly(m, e.rcpts)
		if len(e.rcpts) == 0 {
			q.dropEntryLocked(e)
		}
	}
	m.unreachable = pendingOnly(m, m.unreachable)
}

func pendingOnly(m *message, idxs []int) []int {
	out := idxs[:0]
	for _, i := range idxs {
		if m.rec.Rcpts[i].Status == rcptPending {
			out = append(out, i)
		}
	}
	return out
}
