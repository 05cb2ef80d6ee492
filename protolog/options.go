package protolog

import "time"

// Type says which file set a Log is: receive or send connectors.
type Type uint8

const (
	// Receive is the log of receive connectors: "SMTP Receive Protocol
	// Log", files RECV*.log; the client's lines are "<" events.
	Receive Type = iota
	// Send is the log of send connectors: "SMTP Send Protocol Log",
	// files SEND*.log; the client's (our) lines are ">" events.
	Send
)

func (t Type) String() string {
	if t == Send {
		return "SMTP Send Protocol Log"
	}
	return "SMTP Receive Protocol Log"
}

func (t Type) prefix() string {
	if t == Send {
		return "SEND"
	}
	return "RECV"
}

// Defaults of the reference system's protocol log settings.
const (
	DefaultMaxFileSize      = 10 << 20
	DefaultMaxDirectorySize = 250 << 20
	DefaultMaxAge           = 30 * 24 * time.Hour
	DefaultFlushInterval    = time.Second
	DefaultSoftware         = "hubedge"
	// DefaultVersion is the #Version of the reference system release
	// whose field layout this is.
	DefaultVersion = "15.0.0.0"
)

// Option configures New and Open.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

type options struct {
	typ      Type
	maxFile  int64
	maxDir   int64
	maxAge   time.Duration
	flush    time.Duration
	now      func() time.Time
	software string
	version  string
}

func defaultOptions() options {
	return options{maxFile: DefaultMaxFileSize, maxDir: DefaultMaxDirectorySize, maxAge: DefaultMaxAge,
		flush: DefaultFlushInterval, now: time.Now, software: DefaultSoftware, version: DefaultVersion}
}

// WithType sets the log type. Default: Receive.
func WithType(t Type) Option { return funcOption(func(o *options) { o.typ = t }) }

// WithMaxFileSize starts a new file once a file would grow past n bytes
// (Open only). Default: DefaultMaxFileSize (10 MB); n <= 0 means no limit.
func WithMaxFileSize(n int64) Option { return funcOption(func(o *options) { o.maxFile = n }) }

// WithMaxDirectorySize deletes the oldest files while the log's files
// together exceed n bytes (Open only). Default: DefaultMaxDirectorySize
// (250 MB); n <= 0 means no limit.
func WithMaxDirectorySize(n int64) Option { return funcOption(func(o *options) { o.maxDir = n }) }

// WithMaxAge deletes files last written more than d ago (Open only).
// Default: DefaultMaxAge (30 days); d <= 0 means no deletion by age, as
// the reference system's 00:00:00.
func WithMaxAge(d time.Duration) Option { return funcOption(func(o *options) { o.maxAge = d }) }

// WithFlushInterval sets how long records may wait in the buffer.
// Default: DefaultFlushInterval (1 s); d <= 0 writes every record at once.
func WithFlushInterval(d time.Duration) Option { return funcOption(func(o *options) { o.flush = d }) }

// WithClock sets the time source of record times, file names and ages.
// Default: time.Now.
func WithClock(now func() time.Time) Option { return funcOption(func(o *options) { o.now = now }) }

// WithSoftware sets the #Software and #Version header lines. Default:
// DefaultSoftware and DefaultVersion.
func WithSoftware(name, version string) Option {
	return funcOption(func(o *options) { o.software, o.version = name, version })
}
