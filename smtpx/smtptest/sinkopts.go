package smtptest

import (
	"context"
	"crypto/tls"
)

// SinkOption configures NewSink. Options are sealed: only this package
// defines them.
type SinkOption interface {
	applySink(*sinkOptions)
}

type sinkOptionFunc func(*sinkOptions)

func (f sinkOptionFunc) applySink(o *sinkOptions) { f(o) }

type sinkOptions struct {
	hostname          string
	requireTLS        bool
	noSTARTTLS        bool
	cert              *tls.Certificate
	pki               *PKI
	pkiNames          []string
	user, pass        string
	allowInsecureAuth bool
	refuseCode        int
	refuseText        string
	hangGreeting      bool
	maxSize           int64
	lmtp              bool
	noSMTPUTF8        bool
	onData            func(context.Context, Message) error
}

func defaultSinkOptions() sinkOptions {
	return sinkOptions{hostname: "localhost"}
}

// Hostname sets the name in the greeting and EHLO reply, and the first
// name of the default certificate. Default: "localhost".
func Hostname(name string) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.hostname = name })
}

// RequireTLS makes the sink answer MAIL with "530 5.7.0 Must issue a
// STARTTLS command first" until the client has started TLS. Default:
// TLS is offered but optional.
func RequireTLS() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.requireTLS = true })
}

// NoSTARTTLS stops the sink from offering STARTTLS, as a legacy or
// misconfigured server would. Default: STARTTLS is offered.
func NoSTARTTLS() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.noSTARTTLS = true })
}

// WithTLS makes STARTTLS present cert; client certificates are requested
// and recorded but not verified. Default: a certificate from a private
// PKI (see Sink.PKI) for the hostname, "localhost" and "127.0.0.1".
func WithTLS(cert tls.Certificate) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.cert = &cert })
}

// WithPKI makes STARTTLS present a certificate issued by pki for names
// (default: the hostname, "localhost" and "127.0.0.1") and verify any
// client certificate against pki, for mutual TLS.
func WithPKI(pki *PKI, names ...string) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.pki, o.pkiNames = pki, names })
}

// RequireAuth advertises AUTH PLAIN and LOGIN, accepts only user/pass,
// and answers MAIL with "530 5.7.0 Authentication required" until the
// client has authenticated. Bad credentials get 535 5.7.8. As go-smtp
// does by default, AUTH is neither advertised nor accepted before TLS
// (523 5.7.10) unless AllowInsecureAuth is given. Default: no AUTH.
func RequireAuth(user, pass string) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.user, o.pass = user, pass })
}

// AllowInsecureAuth lets clients authenticate without TLS. Default: off.
func AllowInsecureAuth() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.allowInsecureAuth = true })
}

// RefuseGreeting makes the sink greet every connection with code and
// text (for example 421 "4.3.2 Service not available") instead of 220,
// and close it. Default: 220.
func RefuseGreeting(code int, text string) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.refuseCode, o.refuseText = code, text })
}

// HangGreeting makes the sink accept connections and never greet, so
// clients hit their greeting timeout. Connections are held until the
// client gives up or the sink stops.
func HangGreeting() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.hangGreeting = true })
}

// MaxSize advertises "SIZE n" and rejects larger messages with 552 5.3.4.
// Default: no limit (bare "SIZE").
func MaxSize(n int64) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.maxSize = n })
}

// LMTP makes the sink speak LMTP (RFC 2033): LHLO instead of EHLO, and
// one DATA reply per recipient, all equal to the message's DATA reply.
func LMTP() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.lmtp = true })
}

// NoSMTPUTF8 stops the sink from advertising SMTPUTF8 (RFC 6531), so
// MAIL ... SMTPUTF8 is refused with 504. Default: advertised.
func NoSMTPUTF8() SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.noSMTPUTF8 = true })
}

// OnData calls fn with each message after its data has been read and
// before the sink replies. A non-nil error rejects the message: an
// *smtp.SMTPError (found with errors.As) is sent as is, anything else as
// 451 4.3.0. ctx is cancelled when the sink stops, so a hook that blocks
// on it simulates a server hanging after DATA. fn runs on the
// connection's goroutine and may be called concurrently for different
// connections.
func OnData(fn func(ctx context.Context, m Message) error) SinkOption {
	return sinkOptionFunc(func(o *sinkOptions) { o.onData = fn })
}
