package tracking

import "time"

// Defaults of the reference system's message tracking settings.
const (
	DefaultMaxFileSize      = 10 << 20
	DefaultMaxDirectorySize = 1000 << 20
	DefaultMaxAge           = 30 * 24 * time.Hour
	DefaultFlushInterval    = time.Second
	DefaultSoftware         = "hubedge"
	// DefaultVersion is the #Version of the reference system release
	// whose column layout Fields is.
	DefaultVersion = "14.0.0.0"
	// LogType is the #Log-type header line's value.
	LogType = "Message Tracking Log"
	// Prefix starts every log file's name: MSGTRKyyyymmdd-n.log.
	Prefix = "MSGTRK"
)

// Option configures New and Open.
type Option interface{ apply(*options) }

type funcOption func(*options)

func (f funcOption) apply(o *options) { f(o) }

type options struct {
	maxFile  int64
	maxDir   int64
	maxAge   time.Duration
	flush    time.Duration
	subject  bool
	now      func() time.Time
	software string
	version  string
}

func defaultOptions() options {
	return options{maxFile: DefaultMaxFileSize, maxDir: DefaultMaxDirectorySize, maxAge: DefaultMaxAge,
		flush: DefaultFlushInterval, subject: true, now: time.Now, software: DefaultSoftware, version: DefaultVersion}
}

// WithSubjectLogging says whether message-subject is written, as the
// reference system's MessageTrackingLogSubjectLoggingEnabled. Default: true.
// Off, the column stays empty whatever a Record holds.
func WithSubjectLogging(on bool) Option { return funcOption(func(o *options) { o.subject = on }) }

// WithMaxFileSize starts a new file once a file would grow past n bytes
// (Open only). Default: DefaultMaxFileSize (10 MB); n <= 0 means no limit.
func WithMaxFileSize(n int64) Option { return funcOption(func(o *options) { o.maxFile = n }) }

// WithMaxDirectorySize deletes the oldest files while the log's files
// together exceed n bytes (Open only). Default: DefaultMaxDirectorySize
// (1000 MB); n <= 0 means no limit.
func WithMaxDirectorySize(n int64) Option { return funcOption(func(o *options) { o.maxDir = n }) }

// WithMaxAge deletes files last written more than d ago (Open only).
// Default: DefaultMaxAge (30 days); d <= 0 keeps files of any age.
func WithMaxAge(d time.Duration) Option { return funcOption(func(o *options) { o.maxAge = d }) }

// WithFlushInterval sets how long records may wait in the buffer; they are
// written, never fsync'd, at that interval, when the buffer fills and at
// Flush and Close. Default: DefaultFlushInterval (1 s); d <= 0 writes every
// record at once.
func WithFlushInterval(d time.Duration) Option { return funcOption(func(o *options) { o.flush = d }) }

// WithClock sets the time source of file names, ages and records whose
// Time is zero. Default: time.Now.
func WithClock(now func() time.Time) Option { return funcOption(func(o *options) { o.now = now }) }

// WithSoftware sets the #Software and #Version header lines. Default:
// DefaultSoftware and DefaultVersion.
func WithSoftware(name, version string) Option {
	return funcOption(func(o *options) { o.software, o.version = name, version })
}
