package protolog

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Session is one SMTP connection in a Log. Its methods are safe for
// concurrent use and keep the session's records in sequence order; on a
// nil *Session they do nothing.
type Session struct {
	log                      *Log
	connector, id, local, rm string

	mu  sync.Mutex
	seq int
	buf []byte // the record being formatted
	dlg dialogue
}

// Session starts a session's records: connectorID is the connector's
// identity as the reference system prints it (receive: "Server\Name";
// send: the connector name), sessionID a per-connection identifier (see
// NewSessionID), local and remote the endpoints as "ip:port". It writes
// nothing until the first event (usually Connect). A nil *Log returns a
// nil *Session.
func (l *Log) Session(connectorID, sessionID, local, remote string) *Session {
	if l == nil {
		return nil
	}
	return &Session{log: l, connector: connectorID, id: sessionID, local: local, rm: remote}
}

var sessionSeq atomic.Uint64

// NewSessionID returns 16 upper-case hex digits, unique within the
// process and unlikely to repeat across restarts (clock-based), in the
// reference system's observed session-id format.
func NewSessionID() string {
	return fmt.Sprintf("%016X", uint64(time.Now().UnixNano())+sessionSeq.Add(1))
}

// ID returns the session id ("" for a nil Session).
func (s *Session) ID() string {
	if s == nil {
		return ""
	}
	return s.id
}

// Connect logs "+" (the connection was opened or accepted).
func (s *Session) Connect(context string) { s.event(EventConnect, "", context) }

// Disconnect logs what is left of a partial client or server line, then
// "-"; context says who ended it ("Local", "Remote", ...).
func (s *Session) Disconnect(context string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dlg.flush(s)
	s.emit(EventDisconnect, "", context)
}

// Sent logs ">" with data verbatim.
func (s *Session) Sent(data, context string) { s.event(EventSend, data, context) }

// Received logs "<" with data verbatim.
func (s *Session) Received(data, context string) { s.event(EventReceive, data, context) }

// Info logs "*" (information: TLS, permissions, ...).
func (s *Session) Info(data, context string) { s.event(EventInfo, data, context) }

func (s *Session) event(e Event, data, context string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit(e, data, context)
}

// emit formats and writes one record; s.mu is held.
func (s *Session) emit(e Event, data, context string) {
	now := s.log.opts.now()
	r := Record{Time: now, ConnectorID: s.connector, SessionID: s.id, Sequence: s.seq,
		Local: s.local, Remote: s.rm, Event: e, Data: data, Context: context}
	s.seq++
	s.buf = appendRecord(s.buf[:0], &r)
	s.log.write(s.buf, now)
}

// clientEvent and serverEvent are the directions of the SMTP client's and
// server's lines in this log: a receive log receives commands, a send log
// sends them.
func (s *Session) clientEvent() Event {
	if s.log.opts.typ == Send {
		return EventSend
	}
	return EventReceive
}

func (s *Session) serverEvent() Event {
	if s.log.opts.typ == Send {
		return EventReceive
	}
	return EventSend
}

// Client logs bytes the SMTP client sent, as they were written or read:
// any split, several commands at once, bodies included. See the package
// comment for what is logged and redacted.
func (s *Session) Client(p []byte) {
	if s == nil || len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dlg.client(s, p)
}

// Server logs bytes the SMTP server sent (replies), split anyhow.
func (s *Session) Server(p []byte) {
	if s == nil || len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dlg.server(s, p)
}
