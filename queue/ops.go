package queue

import (
	"fmt"
	"time"
)

// SuspendQueue suspends a delivery queue, or the Submission queue (routing
// stops) or the Unreachable queue (RetryUnreachable does nothing). New
// messages still enter a suspended queue; deliveries in flight finish. The
// Poison queue is always suspended.
func (q *Queue) SuspendQueue(identity string) error { return q.setQueueSuspended(identity, true) }

// ResumeQueue reverses SuspendQueue.
func (q *Queue) ResumeQueue(identity string) error { return q.setQueueSuspended(identity, false) }

func (q *Queue) setQueueSuspended(identity string, on bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	switch identity {
	case QueueSubmission:
		q.subSuspended = on
		q.kickCategorizer()
	case QueueUnreachable:
		q.unreach.suspended = on
	case QueuePoison:
		return fmt.Errorf("%w: the Poison queue cannot be suspended or resumed; resume its messages", ErrInvalidState)
	default:
		hq := q.hops[identity]
		if hq == nil {
			return fmt.Errorf("%w: queue %q", ErrNotFound, identity)
		}
		hq.suspended = on
		q.kick()
	}
	return nil
}

// HoldQueues keeps the delivery queues whose identities (NextHop.Key) it
// is given suspended, those that exist now and those created later, until
// a later call leaves them out: a suspension decided outside this queue,
// such as the state a pool of hubs shares. It is separate from
// SuspendQueue and ResumeQueue: a delivery queue delivers only while
// neither holds it, and Queues shows it Suspended while either does.
func (q *Queue) HoldQueues(identities []string) {
	held := make(map[string]bool, len(identities))
	for _, id := range identities {
		held[id] = true
	}
	q.mu.Lock()
	q.held = held
	q.mu.Unlock()
	q.kick()
}

// stoppedLocked reports whether an administrator, here or in the pool,
// suspended hq.
func (q *Queue) stoppedLocked(hq *hopQueue) bool { return hq.suspended || q.held[hq.key] }

// RetryQueue makes a delivery queue in Retry try now: its waiting
// messages become ready and one connection attempt starts; if it fails,
// the retry timer starts again. On the Unreachable queue it is
// RetryUnreachable (Retry-Queue -Resubmit).
func (q *Queue) RetryQueue(identity string) error {
	if identity == QueueUnreachable {
		q.RetryUnreachable()
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	hq := q.hops[identity]
	switch {
	case hq == nil:
		return fmt.Errorf("%w: queue %q", ErrNotFound, identity)
	case hq.failures == 0 && hq.waiting.Len() == 0:
		return fmt.Errorf("%w: queue %q is not in Retry", ErrInvalidState, identity)
	}
	now := q.opts.clock.Now()
	hq.retryAt = now
	for hq.waiting.Len() > 0 {
		e := hq.waiting[0]
		e.due = now
		q.placeLocked(e, now)
	}
	q.kick()
	return nil
}

// RetryUnreachable sends every recipient in the Unreachable queue back to
// the Router, e.g. after the routing configuration changed. It returns the
// number of messages resubmitted (0 while the Unreachable queue is
// suspended).
func (q *Queue) RetryUnreachable() int {
	q.mu.Lock()
	if q.closed || q.unreach.suspended {
		q.mu.Unlock()
		return 0
	}
	var ms []*message
	for _, m := range q.msgs {
		if len(m.unreachable) > 0 {
			m.unreachable = nil
			q.submitLocked(m)
			ms = append(ms, m)
		}
	}
	q.mu.Unlock()
	for _, m := range ms {
		q.emit(Event{Type: EventResubmit, ID: m.id, Queue: QueueUnreachable, Source: "ADMIN"}.about(&m.rec.Env))
	}
	return len(ms)
}

// Reroute sends every recipient waiting in a delivery queue back to the
// Router, for use after the routing configuration changed: each keeps its
// retry time and joins the queue of the hop the Router names now. A
// recipient whose delivery is in flight follows when that attempt ends
// (if it is still pending). It returns the number of messages resubmitted
// now.
func (q *Queue) Reroute() int {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0
	}
	q.routeEpoch++
	var ms []*message
	for _, m := range q.msgs {
		// A message being routed would not see recipients taken out
		// of their queues now; its routing already uses the new Router.
		if m.routing || m.removeReq || m.removed || len(m.hops) == 0 {
			continue
		}
		moved := false
		for _, e := range m.hops {
			if e.state != entryActive {
				q.dropEntryLocked(e)
				moved = true
			}
		}
		if moved {
			q.submitLocked(m)
			ms = append(ms, m)
		}
	}
	q.mu.Unlock()
	now := q.opts.clock.Now()
	for _, m := range ms {
		q.emit(Event{Type: EventResubmit, Time: now, ID: m.id, Source: "ROUTING"}.about(&m.rec.Env))
	}
	return len(ms)
}

// SuspendMessage stops delivery of a message. An attempt in flight
// finishes (the message shows PendingSuspend until then). Poison messages
// are already suspended: resume them instead.
func (q *Queue) SuspendMessage(id ID) error {
	return q.adminMessage(id, EventSuspend, func(m *message, now time.Time) (*settlement, error) {
		if m.rec.Poison {
			return nil, fmt.Errorf("%w: poison message %s cannot be suspended", ErrInvalidState, id)
		}
		m.rec.Suspended = true
		for _, e := range m.hops {
			if e.state != entryActive {
				q.unlinkLocked(e)
			}
		}
		return &settlement{m: m, req: q.persistLocked(m)}, nil
	})
}

// ResumeMessage resumes a suspended message. A poison message is
// resubmitted to routing with its crash count cleared.
func (q *Queue) ResumeMessage(id ID) error {
	return q.adminMessage(id, EventResume, func(m *message, now time.Time) (*settlement, error) {
		if m.rec.Poison {
			m.rec.Poison, m.rec.Crashes = false, 0
			q.submitLocked(m)
		}
		m.rec.Suspended = false
		for _, e := range m.hops {
			if e.state != entryActive {
				q.placeLocked(e, now)
			}
		}
		q.rescheduleLocked(m)
		return &settlement{m: m, req: q.persistLocked(m)}, nil
	})
}

// RemoveMessage deletes a message. With withNDR (the Remove-Message
// default) the sender gets a failure DSN for the recipients not yet
// delivered (5.4.4 for unreachable ones). A message in flight is removed
// when the attempt ends (PendingRemove); recipients that attempt delivers
// stay delivered.
func (q *Queue) RemoveMessage(id ID, withNDR bool) error {
	return q.adminMessage(id, EventRemove, func(m *message, now time.Time) (*settlement, error) {
		if m.inflight > 0 {
			m.removeReq, m.removeNDR = true, withNDR
			for _, e := range m.hops {
				if e.state != entryActive {
					q.unlinkLocked(e)
				}
			}
			return nil, nil
		}
		s := q.removeLocked(m, withNDR, now)
		if s == nil { // nothing pending: just delete
			s = &settlement{m: m, req: q.persistLocked(m)}
		}
		return s, nil
	})
}

// adminMessage runs op on message id under the lock, then finishes its
// settlement outside it.
func (q *Queue) adminMessage(id ID, typ EventType, op func(*message, time.Time) (*settlement, error)) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	m := q.msgs[id]
	if m == nil {
		q.mu.Unlock()
		return fmt.Errorf("%w: message %s", ErrNotFound, id)
	}
	now := q.opts.clock.Now()
	s, err := op(m, now)
	q.mu.Unlock()
	if err != nil {
		return err
	}
	q.kick()
	if typ != EventRemove {
		q.emit(Event{Type: typ, Time: now, ID: id, Source: "ADMIN"}.about(&m.rec.Env))
	}
	q.finish(s)
	return nil
}
