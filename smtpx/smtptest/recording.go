package smtptest

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"
)

// Script queues replies for RCPT TO:<rcpt> (matched case-insensitively),
// consumed one per RCPT command in order; once they are used up the
// recipient is accepted. A 4xx or 5xx reply rejects the recipient with
// that code and text; a 2xx reply accepts it with go-smtp's standard
// text. Replies use ParseReply's syntax, e.g. "450 4.2.0 busy". It calls
// t.Fatalf for a malformed reply.
func (s *Sink) Script(rcpt string, replies ...string) {
	s.t.Helper()
	parsed := s.parseReplies(replies)
	key := strings.ToLower(rcpt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpt[key] = append(s.rcpt[key], parsed...)
}

// ScriptData queues replies to DATA, consumed one per message in order
// across all connections; once they are used up messages are accepted
// with "250 2.0.0 OK: queued". A 4xx or 5xx reply rejects the message,
// which is then not recorded; a 2xx reply accepts it with that exact
// code and text. It calls t.Fatalf for a malformed reply.
func (s *Sink) ScriptData(replies ...string) {
	s.t.Helper()
	parsed := s.parseReplies(replies)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = append(s.data, parsed...)
}

func (s *Sink) parseReplies(replies []string) []*smtp.SMTPError {
	s.t.Helper()
	out := make([]*smtp.SMTPError, 0, len(replies))
	for _, r := range replies {
		p, err := ParseReply(r)
		if err != nil {
			s.t.Fatalf("%v", err)
			return nil
		}
		out = append(out, p)
	}
	return out
}

func (s *Sink) nextRcptReply(rcpt string) *smtp.SMTPError {
	key := strings.ToLower(rcpt)
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.rcpt[key]
	if len(q) == 0 {
		return nil
	}
	s.rcpt[key] = q[1:]
	return q[0]
}

func (s *Sink) nextDataReply() *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.data) == 0 {
		return nil
	}
	r := s.data[0]
	s.data = s.data[1:]
	return r
}

func (s *Sink) addMessage(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Sink) addLine(conn int, server bool, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, transcriptLine{conn: conn, server: server, text: strings.TrimRight(text, "\r\n")})
}

// Messages returns the messages accepted so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitMessages blocks until the sink has accepted at least n messages
// and returns them all, or returns the messages so far and an error
// wrapping ctx.Err() when ctx ends first.
func (s *Sink) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.messages...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return msgs, fmt.Errorf("smtptest: waiting for %d messages, have %d: %w", n, len(msgs), ctx.Err())
		}
	}
}

// Transcript returns every line the sink received from clients, on all
// connections in arrival order, one per line without the CRLF: commands,
// AUTH exchanges with their credentials verbatim, and message data. It
// includes what was sent inside TLS, so a test can assert that a line
// (an AUTH command, say) never arrived.
func (s *Sink) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return formatLines(s.lines, false)
}

// Dialogue returns both sides of every connection, each line prefixed
// with the connection number and "C:" or "S:", for debugging and golden
// files. A client line is recorded before the server answers it, but a
// reply just after it is sent: a client may see the last reply before
// the sink records it, so read the dialogue after Stop.
func (s *Sink) Dialogue() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return formatLines(s.lines, true)
}
