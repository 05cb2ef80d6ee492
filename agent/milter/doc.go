// Package milter bridges the filters mail administrators already run
// (rspamd, OpenDKIM, ClamAV's clamav-milter, ...) into the agent chain:
// a Milter is an agent that speaks the Sendmail milter protocol (version
// 6) to one filter for each SMTP connection, as Postfix's smtpd_milters
// do, with github.com/d--j/go-milter as the client.
//
// d--j/go-milter was chosen over emersion/go-milter because its client
// implements the whole of protocol version 6 (DATA, UNKNOWN, ABORT, macro
// requests from the filter, skip and progress replies) and is tested
// against Postfix and Sendmail, where emersion's client lacks DATA and
// macro requests.
//
// Events map to milter commands: connect → Conn (one milter connection per
// SMTP connection), HELO/EHLO → Helo, MAIL → Mail, RCPT → Rcpt, DATA →
// Data, end of data → the header fields, end of headers and body, then end
// of message, RSET → Abort, disconnect → Quit. Macros (j, {daemon_name},
// {client_addr}, {auth_authen}, {mail_addr}, {rcpt_addr}, i, ...) are
// sent from the session's facts.
//
// The filter's replies become agent replies: reject (550 5.7.1), tempfail
// (451 4.7.1), a custom SMTP reply, or discard (the message is accepted
// and dropped); accept stops calling the filter for the transaction.
// Its end-of-message actions become message edits: add, insert and change
// header, replace body, add and delete recipient, quarantine (to
// Config.QuarantineMailbox). With ScoreOnly the filter's verdict on the
// message is not enforced but turned into the SCL (reject, discard and
// quarantine give 9; rspamd's X-Spamd-Result score otherwise), so that
// the content filter agent acts on its thresholds.
//
// A filter that cannot be reached, breaks the protocol or overruns
// Config.Timeout fails closed (451 4.7.0) unless Config.FailOpen, when the
// connection goes on without it. Register with Register, which passes the
// milter's timeout and fail-open setting to the chain:
//
//	m, err := milter.New(milter.Config{Name: "rspamd", Network: "tcp", Address: "127.0.0.1:11332", ScoreOnly: true})
//	err = milter.Register(chain, m, agent.Priority(3))
package milter
