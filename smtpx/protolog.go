package smtpx

import (
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// WithProtocolLog sets the SMTP protocol logs: receive (a protolog.Receive
// log) records the sessions of receive connectors whose
// ProtocolLoggingLevel is Verbose, send (a protolog.Send log) those of
// such send connectors (it is passed on as deliver.WithProtocolLog, so it
// does not apply with WithDeliverer). Either may be nil. Commands and
// replies are logged before and after STARTTLS, AUTH responses redacted,
// bodies left out. The caller closes the logs after Shutdown; see
// protolog.OpenSet for the reference system's directory layout. Default:
// no protocol log.
func WithProtocolLog(receive, send *protolog.Log) Option {
	return funcOption(func(o *options) {
		o.protoLog = receive
		if send != nil {
			o.deliver = append(o.deliver, deliver.WithProtocolLog(send))
		}
	})
}
