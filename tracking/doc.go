// Package tracking writes and searches the message tracking log: one line
// per thing that happens to a message (received, sent, delivered, deferred,
// failed, reported in a DSN ...) in the CSV layout administrators of the
// reference system know, so "what happened to message X?" has an answer
// and their tools read the files.
//
// # Starting
//
// Open a directory, Track a Record per event, Close at shutdown:
//
//	l, err := tracking.Open("/var/log/hubedge/MessageTracking")
//	...
//	l.Track(tracking.Record{EventID: tracking.Receive, Source: tracking.SourceSMTP,
//		InternalMessageID: id, MessageID: "<1@contoso.com>", ...})
//	recs, err := l.Search(ctx, tracking.Query{MessageID: "<1@contoso.com>"})
//
// The package takes plain values and imports no other hubedge package: the
// transport maps its queue and SMTP events to Records.
//
// # The files
//
// Files are named MSGTRKyyyymmdd-n.log (UTC day; n from 1 each day) and each
// begins with
//
//	#Software: hubedge
//	#Version: 14.0.0.0
//	#Log-type: Message Tracking Log
//	#Date: 2026-01-02T03:04:05.000Z
//	#Fields: date-time,client-ip,client-hostname,server-ip,...
//
// then one CSV line per record (RFC 4180 quoting; CR and LF in values
// become spaces). A new file starts at each UTC day and before a file would
// pass 10 MB; files older than 30 days, then the oldest while the directory
// passes 1000 MB, are deleted: the reference system's defaults, all
// configurable. Writes are buffered and flushed every second, never
// fsync'd per record.
//
// # Names
//
// The column names, order and contents (Fields, Record), the event IDs
// (RECEIVE, SEND, DELIVER, DEFER, FAIL, DSN, POISONMESSAGE, RESUBMIT,
// REDIRECT ...), the source names (SMTP, STOREDRIVER, QUEUE, ROUTING, DNS,
// DSN, ADMIN ...) and the file naming are those of the reference system's
// published message tracking documentation and of the sample files and
// parsing scripts its vendor ships; the layout is that of its 2010 release
// (the original 21 columns and five added then). Reader matches columns by
// the names of a file's #Fields line, so files of its other releases read
// too. As that documentation defines it, reference links a DSN and the
// message it reports on by Message-ID, not by internal-message-id: the
// DSN record carries the notification's, the notification's own records
// the original's.
//
// # Privacy
//
// A Record has no place for a message body or a credential. The subject is
// written only while subject logging is on (WithSubjectLogging, on by
// default as in the reference system's MessageTrackingLogSubjectLoggingEnabled);
// Subject turns a Subject field as received (folded, RFC 2047 encoded)
// into the column's text, and Log.SubjectLogging says whether to bother.
//
// # Searching
//
// Search and Log.Search take a Query with the filters of the reference
// system's Get-MessageTrackingLog (Sender, Recipients, MessageID,
// InternalMessageID, EventID, Start, End, ResultSize ...). Reader and Parse
// read files record by record.
package tracking
