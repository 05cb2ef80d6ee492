package smtpx

import "github.com/hubedge/hubedge/protolog"

// WithProtocolLog records, in l (a protolog.Receive log), the sessions of
// receive connectors whose ProtocolLoggingLevel is Verbose: commands and
// replies before and after STARTTLS, AUTH responses redacted, bodies left
// out. The caller closes the log after Shutdown; see protolog.OpenSet for
// the reference system's directory layout. Default: no protocol log.
func WithProtocolLog(l *protolog.Log) Option {
	return funcOption(func(o *options) { o.protoLog = l })
}
