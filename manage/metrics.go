package manage

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubedge/hubedge/queue"
)

// Metrics is the transport's Prometheus metric set. The transport calls its
// methods as things happen; queue lengths and the oldest message's age are
// read from the queue at each scrape. Labels take only bounded values:
// connector names from the configuration (past MaxConnectorLabels distinct
// names, further ones count as "other"), and small fixed sets for outcomes,
// reasons and directions; never an address or a message ID. A nil *Metrics
// records nothing, so callers need not check whether metrics are on.
type Metrics struct {
	reg        *prometheus.Registry
	connectors labelCap

	received, sent, delivered, deferred, failed *prometheus.CounterVec
	dsn                                         *prometheus.CounterVec
	attempt                                     *prometheus.HistogramVec
	sessions                                    *prometheus.GaugeVec
	refusals                                    *prometheus.CounterVec
	tls, tlsFailed                              *prometheus.CounterVec
	batch, fsync, commit                        prometheus.Histogram
	backPressure                                *prometheus.GaugeVec
}

// MaxConnectorLabels bounds the distinct connector label values.
const MaxConnectorLabels = 256

// QueueStats is what Metrics reads from the queue at each scrape;
// *queue.Queue implements it.
type QueueStats interface {
	Queues() []queue.QueueInfo
	Messages(f queue.Filter) []queue.MessageInfo
}

// NewMetrics returns the metric set, with the Go runtime and process
// collectors, reading queue lengths from q (nil: no queue metrics) and
// message ages against now (nil: time.Now).
func NewMetrics(q QueueStats, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry(), connectors: labelCap{max: MaxConnectorLabels}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hubedge", Name: name, Help: help}, labels)
	}
	m.received = counter("messages_received_total", "Messages accepted and queued, by receive connector.", "connector")
	m.sent = counter("messages_sent_total", "Messages handed to another server over SMTP, by send connector.", "connector")
	m.delivered = counter("messages_delivered_total", "Messages delivered to local mailboxes, by connector (none for mailbox delivery).", "connector")
	m.deferred = counter("messages_deferred_total", "Delivery attempts deferred for a retry, by send connector.", "connector")
	m.failed = counter("messages_failed_total", "Messages that failed for good, by send connector.", "connector")
	m.dsn = counter("dsn_messages_total", "Delivery status notifications generated, by type (failure, delay, success, relayed, expanded).", "type")
	m.attempt = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "hubedge", Name: "delivery_attempt_duration_seconds",
		Help:    "Time of one delivery attempt to a next hop, next-hop resolution included, by send connector and outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"connector", "outcome"})
	m.sessions = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "hubedge", Name: "smtp_sessions_open",
		Help: "SMTP sessions open, by receive connector."}, []string{"connector"})
	m.refusals = counter("smtp_refusals_total", "Commands or connections refused, by receive connector and reason.", "connector", "reason")
	m.tls = counter("tls_handshakes_total", "TLS handshakes attempted, by direction (receive, send) and connector.", "direction", "connector")
	m.tlsFailed = counter("tls_handshake_failures_total", "TLS handshakes that failed, by direction and connector.", "direction", "connector")
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "hubedge", Name: "queue_commit_batch_size",
		Help: "Message records written or deleted by one group commit of the queue, local or PostgreSQL (body chunks not counted).", Buckets: prometheus.ExponentialBuckets(1, 2, 10)})
	m.fsync = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "hubedge", Name: "queue_fsync_duration_seconds",
		Help: "Time of the fdatasync of one group commit of the local queue.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)})
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "hubedge", Name: "queue_commit_duration_seconds",
		Help: "Round trip of one group commit of the PostgreSQL queue, from sending its statements to the server's confirmation: " +
			"their execution, the network and, with synchronous_commit on, the WAL flush of the commit and any synchronous standby.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	m.backPressure = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "hubedge", Name: "back_pressure_level",
		Help: "Back-pressure level by resource (disk, memory): 0 normal, 1 medium, 2 high."}, []string{"resource"})
	m.reg.MustRegister(m.received, m.sent, m.delivered, m.deferred, m.failed, m.dsn, m.attempt, m.sessions,
		m.refusals, m.tls, m.tlsFailed, m.batch, m.fsync, m.commit, m.backPressure,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if q != nil {
		m.reg.MustRegister(&queueCollector{q: q, now: now})
	}
	return m
}

// Registry returns the registry, for the caller's own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// MessageReceived counts a message a receive connector accepted.
func (m *Metrics) MessageReceived(receiveConnector string) {
	if m != nil {
		m.inc(m.received, receiveConnector)
	}
}

// MessageSent counts a message a next hop accepted over SMTP.
func (m *Metrics) MessageSent(sendConnector string) {
	if m != nil {
		m.inc(m.sent, sendConnector)
	}
}

// MessageDelivered counts a message delivered to local mailboxes.
func (m *Metrics) MessageDelivered(connector string) {
	if m != nil {
		m.inc(m.delivered, connector)
	}
}

// MessageDeferred counts a message whose delivery was deferred.
func (m *Metrics) MessageDeferred(sendConnector string) {
	if m != nil {
		m.inc(m.deferred, sendConnector)
	}
}

// MessageFailed counts a message that failed for good.
func (m *Metrics) MessageFailed(sendConnector string) {
	if m != nil {
		m.inc(m.failed, sendConnector)
	}
}

func (m *Metrics) inc(c *prometheus.CounterVec, connector string) {
	c.WithLabelValues(m.connectors.value(connector)).Inc()
}

// DSN types.
var dsnTypes = []string{"failure", "delay", "success", "relayed", "expanded"}

// DSN counts a notification of type kind (failure, delay, success, relayed,
// expanded: the queue's Event.Detail); anything else counts as "other".
func (m *Metrics) DSN(kind string) {
	if m != nil {
		m.dsn.WithLabelValues(oneOf(kind, dsnTypes)).Inc()
	}
}

// QueueEvent counts what a queue event says without naming a connector:
// the DSNs. Install it with queue.WithEventHook (next to the transport's
// own hook, which knows the connectors).
func (m *Metrics) QueueEvent(e queue.Event) {
	if e.Type == queue.EventDSN {
		m.DSN(e.Detail)
	}
}

// Outcome is how a delivery attempt ended.
type Outcome string

// Outcomes.
const (
	OutcomeDelivered Outcome = "delivered" // every recipient accepted
	OutcomePartial   Outcome = "partial"   // some accepted, some not
	OutcomeDeferred  Outcome = "deferred"  // retried later
	OutcomeFailed    Outcome = "failed"    // refused for good
	OutcomeError     Outcome = "error"     // connection failure
)

var outcomes = []string{string(OutcomeDelivered), string(OutcomePartial), string(OutcomeDeferred), string(OutcomeFailed), string(OutcomeError)}

// AttemptOutcome sorts what a delivery attempt returned into an Outcome:
// an error (no host took the message) is OutcomeError; otherwise the
// recipients' replies decide, all accepted, some, or none with a
// temporary reply among them (deferred) or none (failed).
func AttemptOutcome(results []queue.Result, err error) Outcome {
	if err != nil || len(results) == 0 {
		return OutcomeError
	}
	accepted, temporary := 0, 0
	for _, r := range results {
		switch {
		case r.Success():
			accepted++
		case r.Temporary():
			temporary++
		}
	}
	switch {
	case accepted == len(results):
		return OutcomeDelivered
	case accepted > 0:
		return OutcomePartial
	case temporary > 0:
		return OutcomeDeferred
	}
	return OutcomeFailed
}

// DeliveryAttempt observes how long one attempt to a next hop took.
func (m *Metrics) DeliveryAttempt(sendConnector string, o Outcome, d time.Duration) {
	if m != nil {
		m.attempt.WithLabelValues(m.connectors.value(sendConnector), oneOf(string(o), outcomes)).Observe(d.Seconds())
	}
}

// SessionOpened and SessionClosed track the SMTP sessions open on a receive
// connector; call each once per session.
func (m *Metrics) SessionOpened(receiveConnector string) {
	if m != nil {
		m.sessions.WithLabelValues(m.connectors.value(receiveConnector)).Inc()
	}
}

// SessionClosed: see SessionOpened.
func (m *Metrics) SessionClosed(receiveConnector string) {
	if m != nil {
		m.sessions.WithLabelValues(m.connectors.value(receiveConnector)).Dec()
	}
}

// Reason is why the transport refused a command or a connection.
type Reason string

// Refusal reasons.
const (
	ReasonRelay        Reason = "relay"         // 550 5.7.1 Unable to relay
	ReasonAuth         Reason = "auth"          // authentication required or failed
	ReasonLimits       Reason = "limits"        // size, recipients, connections, errors ...
	ReasonBackPressure Reason = "back_pressure" // 452 4.3.1 insufficient system resources
	ReasonOther        Reason = "other"
)

var reasons = []string{string(ReasonRelay), string(ReasonAuth), string(ReasonLimits), string(ReasonBackPressure), string(ReasonOther)}

// Refused counts a refusal on a receive connector.
func (m *Metrics) Refused(receiveConnector string, r Reason) {
	if m != nil {
		m.refusals.WithLabelValues(m.connectors.value(receiveConnector), oneOf(string(r), reasons)).Inc()
	}
}

// Directions of TLS handshakes.
const (
	DirectionReceive = "receive"
	DirectionSend    = "send"
)

// TLSHandshake counts a handshake on the receive or send side of a
// connector; a non-nil err counts a failure too.
func (m *Metrics) TLSHandshake(direction, connector string, err error) {
	if m == nil {
		return
	}
	dir := oneOf(direction, []string{DirectionReceive, DirectionSend})
	c := m.connectors.value(connector)
	m.tls.WithLabelValues(dir, c).Inc()
	if err != nil {
		m.tlsFailed.WithLabelValues(dir, c).Inc()
	}
}

// GroupCommit observes one commit of the local queue: how many message
// records it wrote or deleted and how long its fsync took. Its signature is
// walstore.CommitObserver's.
func (m *Metrics) GroupCommit(writes int, fsync time.Duration) {
	if m != nil {
		m.batch.Observe(float64(writes))
		m.fsync.Observe(fsync.Seconds())
	}
}

// PoolCommit observes one commit of the PostgreSQL queue: how many message
// records it wrote or deleted and its round trip, which holds the server's
// WAL flush of the commit but also the statements and the network, so it
// bounds the flush from above. Its signature is
// pgstore.Config.CommitObserver's.
func (m *Metrics) PoolCommit(writes int, commit time.Duration) {
	if m != nil {
		m.batch.Observe(float64(writes))
		m.commit.Observe(commit.Seconds())
	}
}

// BackPressure sets a resource's back-pressure level: 0 normal, 1 medium,
// 2 high. Resources are "disk", "memory" and "transport" (the level the
// transport acts on: the higher of the two); others count as "other".
func (m *Metrics) BackPressure(resource string, level int) {
	if m != nil {
		m.backPressure.WithLabelValues(oneOf(resource, []string{"disk", "memory", "transport"})).Set(float64(level))
	}
}

func oneOf(v string, allowed []string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return "other"
}

// labelCap hands out at most max distinct label values; later ones become
// "other", so a misbehaving caller cannot grow the series without bound.
type labelCap struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
}

func (l *labelCap) value(v string) string {
	if v == "" {
		return "none"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[v] {
		return v
	}
	if len(l.seen) >= l.max {
		return "other"
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[v] = true
	return v
}

// queueCollector reads queue lengths at scrape time. The queue label is the
// special queue's name or the delivery queue's send connector ("none" for
// mailbox delivery), never the next-hop domain: one queue per recipient
// domain would grow without bound on an Internet-facing server.
type queueCollector struct {
	q   QueueStats
	now func() time.Time
}

var (
	queueMessagesDesc = prometheus.NewDesc("hubedge_queue_messages",
		"Messages in queues, by queue (special queue or send connector), delivery type and queue status.",
		[]string{"queue", "delivery_type", "status"}, nil)
	queueOldestDesc = prometheus.NewDesc("hubedge_queue_oldest_message_age_seconds",
		"Age of the oldest queued message (0 when the queue is empty).", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueMessagesDesc
	ch <- queueOldestDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ queue, kind, status string }
	counts := map[key]int{}
	for _, q := range c.q.Queues() {
		name := q.Identity
		switch name {
		case queue.QueueSubmission, queue.QueueUnreachable, queue.QueuePoison:
		default:
			name = q.NextHopConnector
			if name == "" {
				name = "none"
			}
		}
		counts[key{name, q.DeliveryType, string(q.Status)}] += q.MessageCount
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(queueMessagesDesc, prometheus.GaugeValue, float64(n), k.queue, k.kind, k.status)
	}
	age := 0.0
	if ms := c.q.Messages(queue.Filter{}); len(ms) > 0 {
		age = max(c.now().Sub(ms[0].Received).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, age)
}
