package queue

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Identities of the special queues. Delivery queues are
// identified by their NextHop.Key().
const (
	QueueSubmission  = "Submission"
	QueueUnreachable = "Unreachable"
	QueuePoison      = "Poison"
)

// QueueStatus is a queue's state as Get-Queue shows it.
type QueueStatus string

// Queue states.
const (
	QueueActive    QueueStatus = "Active"    // deliveries in flight
	QueueReady     QueueStatus = "Ready"     // nothing in flight, no failure
	QueueRetry     QueueStatus = "Retry"     // last connection attempt failed
	QueueSuspended QueueStatus = "Suspended" // by an administrator
)

// QueueInfo describes one queue.
type QueueInfo struct {
	Identity         string
	DeliveryType     string // NextHop.Kind, "Undefined" or "Unreachable"
	NextHopDomain    string
	NextHopConnector string
	Status           QueueStatus
	MessageCount     int
	LastError        string
	LastRetryTime    time.Time
	NextRetryTime    time.Time
}

// MessageStatus is a message's state as Get-Message shows it.
type MessageStatus string

// Message states.
const (
	MessageActive         MessageStatus = "Active"
	MessageReady          MessageStatus = "Ready"
	MessageRetry          MessageStatus = "Retry"
	MessageSuspended      MessageStatus = "Suspended"
	MessagePendingSuspend MessageStatus = "PendingSuspend"
	MessagePendingRemove  MessageStatus = "PendingRemove"
)

// MessageInfo describes one queued message.
type MessageInfo struct {
	ID            ID
	Queues        []string // identities of the queues holding its recipients
	From          string
	MessageID     string // the Message-ID field (InternetMessageId)
	Subject       string // the Subject field, raw
	Recipients    []RecipientInfo
	Status        MessageStatus
	Size          int64
	Received      time.Time
	Expires       time.Time // zero for poison messages, which never expire
	LastError     string
	RetryCount    int
	NextRetryTime time.Time
	Crashes       int
}

// RecipientInfo is one recipient's state.
type RecipientInfo struct {
	Address       string
	Status        string // "Pending", "Delivered" or "Failed"
	Queue         string
	Attempts      int
	LastResult    *Result
	NextRetryTime time.Time
}

// Filter selects messages; zero fields match everything.
type Filter struct {
	Queue  string        // queue identity
	Status MessageStatus // message state
	From   string        // sender, case-insensitive
}

// Queues lists the queues: Submission always, Unreachable and Poison when
// not empty, and every delivery queue, sorted by identity.
func (q *Queue) Queues() []QueueInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	sub := QueueInfo{Identity: QueueSubmission, DeliveryType: "Undefined", Status: QueueReady, MessageCount: len(q.submission)}
	if q.subSuspended {
		sub.Status = QueueSuspended
	}
	out := []QueueInfo{sub}
	var unreach, poison int
	for _, m := range q.msgs {
		if len(m.unreachable) > 0 {
			unreach++
		}
		if m.rec.Poison {
			poison++
		}
	}
	if unreach > 0 {
		st := QueueReady
		if q.unreach.suspended {
			st = QueueSuspended
		}
		out = append(out, QueueInfo{Identity: QueueUnreachable, DeliveryType: "Unreachable", Status: st, MessageCount: unreach})
	}
	if poison > 0 {
		out = append(out, QueueInfo{Identity: QueuePoison, DeliveryType: "Undefined", Status: QueueSuspended, MessageCount: poison})
	}
	for _, hq := range q.hops {
		qi := hq.info()
		if q.held[hq.key] {
			qi.Status = QueueSuspended
		}
		out = append(out, qi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Identity < out[j].Identity })
	return out
}

func (hq *hopQueue) info() QueueInfo {
	qi := QueueInfo{
		Identity: hq.key, DeliveryType: hq.hop.Kind, NextHopDomain: hq.hop.Domain,
		NextHopConnector: hq.hop.Connector, MessageCount: hq.entries,
		LastError: hq.lastError, LastRetryTime: hq.lastTry, Status: QueueReady,
	}
	switch {
	case hq.suspended:
		qi.Status = QueueSuspended
	case hq.active > 0:
		qi.Status = QueueActive
	case hq.failures > 0:
		qi.Status = QueueRetry
	}
	if hq.failures > 0 {
		qi.NextRetryTime = hq.retryAt
	} else if hq.waiting.Len() > 0 {
		qi.NextRetryTime = hq.waiting[0].due
	}
	return qi
}

// Messages lists the messages that match f, in arrival order.
func (q *Queue) Messages(f Filter) []MessageInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.clock.Now()
	var out []MessageInfo
	for _, id := range sortedKeys(q.msgs) {
		mi := q.infoLocked(q.msgs[id], now)
		if f.matches(&mi) {
			out = append(out, mi)
		}
	}
	return out
}

// DescribeRecord describes a message from its stored record, as Message
// would if this queue held it: for a store shared by several queues (a
// pool of hubs), where another process owns the message. What only the
// owner knows is missing: its delivery queues, whether an attempt is
// running, its last connection error.
func (q *Queue) DescribeRecord(id ID, rec []byte) (MessageInfo, error) {
	r, err := decodeRecord(id, rec)
	if err != nil {
		return MessageInfo{}, err
	}
	m := &message{id: id, rec: *r, hops: map[string]*entry{}, heapIdx: -1}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.infoLocked(m, q.opts.clock.Now()), nil
}

// Message describes one message.
func (q *Queue) Message(id ID) (MessageInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.msgs[id]
	if m == nil {
		return MessageInfo{}, fmt.Errorf("%w: message %s", ErrNotFound, id)
	}
	return q.infoLocked(m, q.opts.clock.Now()), nil
}

// Matches reports whether mi is selected by f.
func (f Filter) Matches(mi MessageInfo) bool { return f.matches(&mi) }

func (f Filter) matches(mi *MessageInfo) bool {
	if f.Status != "" && f.Status != mi.Status {
		return false
	}
	if f.From != "" && !strings.EqualFold(f.From, mi.From) {
		return false
	}
	if f.Queue == "" {
		return true
	}
	for _, qn := range mi.Queues {
		if qn == f.Queue {
			return true
		}
	}
	return false
}

func (q *Queue) infoLocked(m *message, now time.Time) MessageInfo {
	mi := MessageInfo{
		ID: m.id, From: m.rec.Env.From, MessageID: m.rec.Env.MessageID, Subject: m.rec.Env.Subject, Size: m.rec.Env.Size, Received: m.rec.Env.Received,
		LastError: m.lastError, Crashes: m.rec.Crashes, Status: q.statusLocked(m, now),
	}
	if !m.rec.Poison {
		mi.Expires = q.expiry(m)
	}
	queueOf := map[int]string{}
	for key, e := range m.hops {
		mi.Queues = append(mi.Queues, key)
		for _, i := range e.rcpts {
			queueOf[i] = key
		}
	}
	if len(m.unreachable) > 0 {
		mi.Queues = append(mi.Queues, QueueUnreachable)
		for _, i := range m.unreachable {
			queueOf[i] = QueueUnreachable
		}
	}
	switch {
	case m.rec.Poison:
		mi.Queues = append(mi.Queues, QueuePoison)
	case m.routing:
		mi.Queues = append(mi.Queues, QueueSubmission)
	}
	sort.Strings(mi.Queues)
	for i, st := range m.rec.Rcpts {
		ri := RecipientInfo{
			Address: m.rec.Env.Recipients[i].Address, Status: [...]string{"Pending", "Delivered", "Failed"}[st.Status],
			Queue: queueOf[i], Attempts: st.Attempts, LastResult: st.Last,
		}
		if st.Status == rcptPending {
			mi.RetryCount = max(mi.RetryCount, st.Attempts)
			if st.Next.After(now) {
				ri.NextRetryTime = st.Next
				mi.NextRetryTime = earliest(mi.NextRetryTime, st.Next)
			}
		}
		mi.Recipients = append(mi.Recipients, ri)
	}
	return mi
}

func (q *Queue) statusLocked(m *message, now time.Time) MessageStatus {
	switch {
	case m.removeReq:
		return MessagePendingRemove
	case m.rec.Poison:
		return MessageSuspended
	case m.rec.Suspended && m.inflight > 0:
		return MessagePendingSuspend
	case m.rec.Suspended:
		return MessageSuspended
	case m.inflight > 0:
		return MessageActive
	}
	for _, st := range m.rec.Rcpts {
		if st.Status == rcptPending && st.Attempts > 0 && st.Next.After(now) {
			return MessageRetry
		}
	}
	return MessageReady
}

// Export writes the stored message (as received, or with the header a
// routing agent replaced) to w,
// for replay elsewhere. As with Export-Message, the message must be
// suspended (poison messages are).
func (q *Queue) Export(id ID, w io.Writer) error {
	q.mu.Lock()
	m := q.msgs[id]
	switch {
	case q.closed:
		q.mu.Unlock()
		return ErrClosed
	case m == nil:
		q.mu.Unlock()
		return fmt.Errorf("%w: message %s", ErrNotFound, id)
	case !m.rec.Suspended && !m.rec.Poison:
		q.mu.Unlock()
		return fmt.Errorf("%w: message %s must be suspended before export", ErrInvalidState, id)
	}
	m.holds++ // keep the body while copying
	size, header := m.rec.Env.Size, m.rec.Header
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		m.holds--
		var req *commitReq
		if !m.rec.pending() { // finished while we read: delete it now
			req = q.persistLocked(m)
		}
		q.mu.Unlock()
		if req != nil {
			_ = req.wait()
		}
	}()
	rc, err := q.bodyOpener(id, size, header)()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("queue: export %s: %w", id, err)
	}
	return nil
}
