package queue

import (
	"log/slog"
	"os"
	"time"
)

// RetryPolicy holds the retry, expiry and notification intervals of
// Set-TransportServer. The zero value is not useful; start from
// DefaultRetryPolicy or EdgeRetryPolicy.
//
// How they combine:
//   - A recipient answered with 4xx is retried after MessageRetryInterval.
//   - A connection failure (Deliverer error) puts the delivery queue into
//     Retry: the first TransientFailureRetryCount reconnection attempts come
//     TransientFailureRetryInterval apart, later ones
//     OutboundConnectionFailureRetryInterval apart. The first successful
//     connection resets the count.
//   - After MessageExpirationTimeout since reception, what is left fails
//     with 4.4.7; after DelayNotificationTimeout one delay DSN is sent.
type RetryPolicy struct {
	TransientFailureRetryCount             int
	TransientFailureRetryInterval          time.Duration
	OutboundConnectionFailureRetryInterval time.Duration
	MessageRetryInterval                   time.Duration
	MessageExpirationTimeout               time.Duration
	DelayNotificationTimeout               time.Duration
}

// DefaultRetryPolicy returns the Hub Transport defaults: 6 transient
// retries 5 min apart, then every 10 min; 4xx recipients every 1 min;
// expiry after 2 days; delay DSN after 4 h.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		TransientFailureRetryCount:             6,
		TransientFailureRetryInterval:          5 * time.Minute,
		OutboundConnectionFailureRetryInterval: 10 * time.Minute,
		MessageRetryInterval:                   time.Minute,
		MessageExpirationTimeout:               48 * time.Hour,
		DelayNotificationTimeout:               4 * time.Hour,
	}
}

// EdgeRetryPolicy returns the Edge Transport defaults, which differ from
// the Hub ones in TransientFailureRetryInterval (10 min) and
// OutboundConnectionFailureRetryInterval (30 min).
func EdgeRetryPolicy() RetryPolicy {
	p := DefaultRetryPolicy()
	p.TransientFailureRetryInterval = 10 * time.Minute
	p.OutboundConnectionFailureRetryInterval = 30 * time.Minute
	return p
}

// connRetryDelay is the wait before reconnection attempt n+1 after n
// consecutive connection failures (n ≥ 1).
func (p RetryPolicy) connRetryDelay(n int) time.Duration {
	if n <= p.TransientFailureRetryCount {
		return p.TransientFailureRetryInterval
	}
	return p.OutboundConnectionFailureRetryInterval
}

// Option configures a Queue.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

type options struct {
	clock          Clock
	router         Router
	deliverer      Deliverer
	retry          RetryPolicy
	maxConcurrency int
	maxPerHop      int
	inFlowDelay    time.Duration
	poison         int
	idleTime       time.Duration
	maxSize        int64
	reportingMTA   string
	postmaster     string
	logger         *slog.Logger
	hook           func(Event)
	commitDelay    time.Duration
}

func defaultOptions() options {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return options{
		clock:          SystemClock{},
		retry:          DefaultRetryPolicy(),
		maxConcurrency: 1000,
		maxPerHop:      20,
		inFlowDelay:    DefaultInFlowDelay,
		poison:         2,
		idleTime:       3 * time.Minute,
		commitDelay:    DefaultCommitDelay,
		reportingMTA:   host,
		logger:         slog.New(slog.DiscardHandler),
	}
}

// WithClock sets the time source. Default: SystemClock.
func WithClock(c Clock) Option { return funcOption(func(o *options) { o.clock = c }) }

// WithRouter sets the Router. Default: none; messages then stay in the
// Submission queue.
func WithRouter(r Router) Option { return funcOption(func(o *options) { o.router = r }) }

// WithDeliverer sets the Deliverer. Default: none; routed messages then
// wait in their delivery queues.
func WithDeliverer(d Deliverer) Option { return funcOption(func(o *options) { o.deliverer = d }) }

// WithRetryPolicy sets the retry intervals, the expiry and the delay DSN
// timeout (Set-TransportServer's parameters of those names). Default:
// DefaultRetryPolicy(); change one value on a copy of it.
func WithRetryPolicy(p RetryPolicy) Option { return funcOption(func(o *options) { o.retry = p }) }

// WithMaxConcurrency caps concurrent deliveries overall
// (MaxOutboundConnections). Default 1000.
func WithMaxConcurrency(n int) Option { return funcOption(func(o *options) { o.maxConcurrency = n }) }

// WithMaxPerHop caps concurrent deliveries to one next hop
// (MaxPerDomainOutboundConnections). Default 20.
func WithMaxPerHop(n int) Option { return funcOption(func(o *options) { o.maxPerHop = n }) }

// DefaultInFlowDelay is WithInFlowDelay's default, Postfix's in_flow_delay.
const DefaultInFlowDelay = time.Second

// WithInFlowDelay sets how long Enqueue may wait, before it reads a body,
// while deliveries fall behind arrivals: while the next hops that deliver
// at their full concurrency have more messages waiting than they have
// connections. Each start of a delivery lets a waiting Enqueue go; none
// waits longer than d. Senders are slowed to the delivery rate, so a burst
// stays in their socket buffers rather than in the queue, where it would
// outgrow the log and reach the store (Postfix's in_flow_delay does the
// same). A next hop that is failing or suspended never slows Enqueue.
// 0 disables it. Default DefaultInFlowDelay.
func WithInFlowDelay(d time.Duration) Option {
	return funcOption(func(o *options) { o.inFlowDelay = d })
}

// WithPoisonThreshold sets how many crashes during its delivery a message
// survives before it is moved, suspended, to the Poison queue. Default 2.
func WithPoisonThreshold(n int) Option { return funcOption(func(o *options) { o.poison = n }) }

// WithQueueMaxIdleTime sets how long an empty delivery queue is kept.
// Default 3 min.
func WithQueueMaxIdleTime(d time.Duration) Option {
	return funcOption(func(o *options) { o.idleTime = d })
}

// WithMaxMessageSize caps the body size Enqueue accepts (ErrTooLarge).
// Default 0: no cap; receive connectors apply their own limits first.
// DSNs the queue generates are exempt.
func WithMaxMessageSize(n int64) Option { return funcOption(func(o *options) { o.maxSize = n }) }

// WithReportingMTA sets the Reporting-MTA of DSNs. Default: os.Hostname().
func WithReportingMTA(fqdn string) Option {
	return funcOption(func(o *options) { o.reportingMTA = fqdn })
}

// WithPostmaster sets the From: address of DSNs. Default:
// "postmaster@" + the reporting MTA.
func WithPostmaster(addr string) Option { return funcOption(func(o *options) { o.postmaster = addr }) }

// DefaultCommitDelay is WithCommitDelay's default.
const DefaultCommitDelay = 200 * time.Microsecond

// WithCommitDelay sets how long the group commit waits, after a commit
// that carried more than one caller's writes, before it starts the next:
// under concurrent load more callers then share each fsync, at the cost of
// up to d more latency per commit (a lone caller never waits). 0 disables
// the wait. Default DefaultCommitDelay; measured on the relay benchmark
// (bench/README.md): 20% less CPU per message at 20 sessions.
func WithCommitDelay(d time.Duration) Option {
	return funcOption(func(o *options) { o.commitDelay = d })
}

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return funcOption(func(o *options) { o.logger = l }) }

// WithEventHook sets a function called for every Event (see EventType). It
// runs synchronously on the queue's goroutines, never under its locks; it
// must not block for long. Default: none.
func WithEventHook(f func(Event)) Option { return funcOption(func(o *options) { o.hook = f }) }
