// Package protolog writes and reads the SMTP protocol log in the CSV
// layout administrators of the reference system know: one file set for
// all receive connectors ("SMTP Receive Protocol Log", files
// RECVyyyymmdd-n.log) and one for all send connectors ("SMTP Send
// Protocol Log", SENDyyyymmdd-n.log), each file starting with the header
// lines
//
//	#Software: hubedge
//	#Version: 15.0.0.0
//	#Log-type: SMTP Receive Protocol Log
//	#Date: 2026-01-02T03:04:05.000Z
//	#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
//
// followed by one CSV record per event. Events are "+" connect, "-"
// disconnect, ">" sent, "<" received and "*" information; the sequence
// number starts at 0 in every session and grows by one per event. Fields
// holding a comma, a double quote, CR or LF are quoted, with inner quotes
// doubled (RFC 4180).
//
// A Log writes to an io.Writer (New) or to a directory of files (Open)
// that rotate at a maximum file size and at each UTC day, and are deleted
// oldest first past a maximum age or directory size (defaults as in the
// reference system: 10 MB, 30 days, 250 MB). Records are buffered and
// flushed at an interval and by Close; a Log is safe for concurrent
// sessions.
//
// A Session is one SMTP connection's view of the log. Connect,
// Disconnect, Sent, Received and Info write events verbatim. Client and
// Server take the raw bytes of the dialogue instead and log it the way
// the reference system does: one record per command, one per reply
// (multi-line replies space-joined), AUTH responses replaced by
// "<authentication response>" (after a 334 challenge and as the initial
// response of "AUTH mech ir"), and message bodies (DATA and BDAT
// chunks) never logged, only their commands and final replies.
//
// Parse reads a log back into Records, for tests and tools.
package protolog
