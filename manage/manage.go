package manage

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/tracking"
)

// Queue is what the Handler does with a queue; *queue.Queue implements it.
type Queue interface {
	Queues() []queue.QueueInfo
	Messages(f queue.Filter) []queue.MessageInfo
	Message(id queue.ID) (queue.MessageInfo, error)
	SuspendQueue(identity string) error
	ResumeQueue(identity string) error
	RetryQueue(identity string) error
	SuspendMessage(id queue.ID) error
	ResumeMessage(id queue.ID) error
	RemoveMessage(id queue.ID, withNDR bool) error
	Export(id queue.ID, w io.Writer) error
}

var _ Queue = (*queue.Queue)(nil)

// Tracker searches the message tracking log; *tracking.Log implements it.
type Tracker interface {
	Search(ctx context.Context, q tracking.Query) ([]tracking.Record, error)
}

var _ Tracker = (*tracking.Log)(nil)

// Config is the configuration the read-only views show.
type Config struct {
	SendConnectors    []connector.SendConfig
	ReceiveConnectors []connector.ReceiveConfig
	AcceptedDomains   []AcceptedDomain
}

// AcceptedDomain is an accepted domain with the name it was created under
// (New-AcceptedDomain -Name Contoso -DomainName contoso.com). Without a
// Name, the domain stands for it.
type AcceptedDomain struct {
	Name string
	routing.AcceptedDomain
}

// Handler serves the management API under /api/, the Queue Viewer pages
// and, with WithMetrics, /metrics. Every request must authenticate.
// It is safe for concurrent use.
type Handler struct {
	server   string
	queue    Queue
	pool     *pgpool.Pool
	tracker  Tracker
	config   func() Config
	token    []byte // sha256 of the bearer token, nil for none
	certAuth func(*x509.Certificate) bool
	metrics  http.Handler
	now      func() time.Time
	refresh  time.Duration
	log      *slog.Logger

	num      *numbering
	sessions *sessions
	api      map[string]endpoint
	mux      *http.ServeMux
}

// Option configures a Handler.
type Option interface{ apply(*Handler) }

type optionFunc func(*Handler)

func (f optionFunc) apply(h *Handler) { f(h) }

// WithServerName sets the server part of identities (HubA in HubA\3).
// Default: the host name up to its first dot.
func WithServerName(name string) Option { return optionFunc(func(h *Handler) { h.server = name }) }

// WithQueue sets the queue the queue endpoints and pages act on. Default:
// none; they answer 404.
func WithQueue(q Queue) Option { return optionFunc(func(h *Handler) { h.queue = q }) }

// WithPool makes the queue cmdlets and pages act on the whole pool of
// hubs this one shares a PostgreSQL queue with: Get-Queue lists every
// hub's queues (Identity Hub\Queue, another hub's as of its last
// heartbeat), Get-Message every hub's messages, and the actions reach
// the hub concerned; a delivery queue is suspended and resumed for the
// whole pool. The server name becomes the pool's name for this hub.
// Give WithQueue too, with this hub's queue, for Export-Message and
// Retry-Queue -Resubmit, which act on this hub's own messages only.
func WithPool(p *pgpool.Pool) Option { return optionFunc(func(h *Handler) { h.pool = p }) }

// WithTracking sets the message tracking log Get-MessageTrackingLog
// searches. Default: none; the search answers 404 (ErrTrackingOff).
func WithTracking(t Tracker) Option { return optionFunc(func(h *Handler) { h.tracker = t }) }

// WithConfig sets the function the connector and accepted-domain views call
// on every request, so that they show the configuration in force after a
// reload. Default: an empty configuration.
func WithConfig(f func() Config) Option { return optionFunc(func(h *Handler) { h.config = f }) }

// WithToken accepts requests that carry token as "Authorization: Bearer",
// and logins to the Queue Viewer with it. ReadTokenFile reads one from a
// file. Tokens are compared in constant time.
func WithToken(token string) Option {
	return optionFunc(func(h *Handler) { h.token = tokenHash(token) })
}

// WithClientCertificates accepts requests whose TLS client certificate the
// listener verified (tls.RequireAndVerifyClientCert with the CAs trusted
// for management) and that authorize accepts; nil authorize accepts every
// verified certificate.
func WithClientCertificates(authorize func(leaf *x509.Certificate) bool) Option {
	return optionFunc(func(h *Handler) {
		if authorize == nil {
			authorize = func(*x509.Certificate) bool { return true }
		}
		h.certAuth = authorize
	})
}

// WithMetrics serves m on /metrics (authenticated like everything else:
// Prometheus sends the token with its authorization setting).
func WithMetrics(m *Metrics) Option {
	return optionFunc(func(h *Handler) {
		if m != nil {
			h.metrics = m.Handler()
		}
	})
}

// WithClock sets the time source of Queue Viewer sessions. Default:
// time.Now.
func WithClock(now func() time.Time) Option { return optionFunc(func(h *Handler) { h.now = now }) }

// WithRefresh sets how often Queue Viewer pages reload themselves. Default
// 10 s; 0 turns reloading off.
func WithRefresh(d time.Duration) Option { return optionFunc(func(h *Handler) { h.refresh = d }) }

// WithLogger sets the logger of logins and actions. Default: discard.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(h *Handler) { h.log = l }) }

// ErrNoAuth is returned by New without WithToken or WithClientCertificates:
// a management listener is never open to everyone.
var ErrNoAuth = errors.New("manage: no authentication configured (WithToken or WithClientCertificates)")

// New returns a Handler.
func New(opts ...Option) (*Handler, error) {
	h := &Handler{
		config:  func() Config { return Config{} },
		now:     time.Now,
		refresh: 10 * time.Second,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o.apply(h)
	}
	if h.token == nil && h.certAuth == nil {
		return nil, ErrNoAuth
	}
	if h.pool != nil {
		h.server = h.pool.Hub()
	}
	if h.server == "" {
		name, _ := os.Hostname()
		h.server, _, _ = strings.Cut(name, ".")
		if h.server == "" {
			h.server = "localhost"
		}
	}
	h.num = newNumbering(h.server)
	h.sessions = newSessions(h.now)
	h.api = h.endpoints()
	h.mux = h.viewerMux()
	return h, nil
}

// ServeHTTP authenticates r and serves it. An /api/ or /metrics request
// without valid credentials gets 401 with a WWW-Authenticate header and
// the same JSON error every time (unauthorized); a Queue Viewer page
// without a session answers 401 with the HTML sign-in form (viewer).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("manage: panic serving request", "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		if !h.authenticated(r) {
			unauthorized(w)
			return
		}
		h.serveAPI(w, r)
	case r.URL.Path == "/metrics":
		if !h.authenticated(r) {
			unauthorized(w)
			return
		}
		if h.metrics == nil {
			writeError(w, http.StatusNotFound, "metrics are not enabled")
			return
		}
		h.metrics.ServeHTTP(w, r)
	default:
		h.mux.ServeHTTP(w, r)
	}
}

// unauthorized answers a request without valid credentials: 401 with
// the same JSON error every time, so it tells nothing about what was
// asked for.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="hubedge"`)
	writeError(w, http.StatusUnauthorized, errAuthRequired)
}

// errAuthRequired is the error of every 401 of the API.
const errAuthRequired = "authentication required: a bearer token or a client certificate"
