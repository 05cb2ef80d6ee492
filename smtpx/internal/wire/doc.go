// Package wire is RFC 5321 at the byte level, for both ends of a session:
// command lines under a length limit, command verbs, MAIL and RCPT paths
// with their ESMTP parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531
// SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH, RFC 8689 REQUIRETLS), read by
// ParseMail and ParseRcpt and written by AppendMail and AppendRcpt, local
// parts unquoted by ParsePath and quoted again by QuoteLocal, the
// dot-stuffed DATA stream (DotReader, DotWriter), replies as dsn.Reply
// (AppendReply, ReadReply) and the EHLO keywords (AppendEHLO, ParseEHLO,
// OfferOf). Each writer has its reader here, and a fuzz target reads back
// what the writer wrote, so the two ends of one wire cannot disagree.
//
// It holds no session state and performs no policy: smtpx decides what a
// command means for a receive connector, smtpx/deliver what to send.
// Everything here works on the bytes a bufio.Reader already holds or a
// bufio.Writer's free space, so the hot path (one command line, one
// message body) copies each byte once and allocates nothing but the
// strings it returns.
//
// Only CR LF ends a command line or a line of DATA (a client reading
// replies is lenient and takes a bare LF). A bare LF or CR inside a
// message is data, so
// "<LF>.<CR><LF>" or "<CR><LF>.<LF>" never ends DATA here: a message
// cannot smuggle a second one past a server that reads line ends
// differently (the 2023 "SMTP smuggling" attacks).
package wire
