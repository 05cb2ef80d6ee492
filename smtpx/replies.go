package smtpx

import (
	"bytes"
	"io"
	"net"
	"sync"
)

// Every connection is served by a go-smtp server of its own: a copy of its
// receive connector's (cloneServer), whose Debug writer is the
// connection's replyWatch. go-smtp tees the plaintext of the connection
// into Debug, before and after STARTTLS, which is the only place a
// wrapper can read replies once TLS is up (conn sees TLS records). The
// copy costs a few hundred bytes per connection and no goroutine: Serve
// runs on the accept loop and returns as soon as it has started the
// connection's goroutine (oneConn).
//
// replyWatch reads the replies for two things:
//
//   - the protocol-error limit and the tarpit count every 4xx/5xx reply,
//     whoever wrote it: go-smtp's own (a malformed MAIL, RCPT before MAIL,
//     bad BDAT arguments, unknown commands) as well as the session's
//     refusals, which the session has already counted (conn.countError)
//     and which are skipped here. Not counted: replies after which the
//     connection closes anyway (421; go-smtp's "500 5.4.0 Too long line,
//     closing connection" and "500 5.5.1 Too many errors. Quiting now":
//     a tarpit there would only delay the close) and replies reporting
//     this server's own trouble
//     (4.3.x, 454 4.7.0: a directory or queue failure is not the client's
//     error). The reply that reaches MaxProtocolErrors is the last one;
//     before the next command of an unauthenticated client the tarpit
//     (TarpitInterval) runs.
//   - the greeting the client used last: go-smtp (v0.25.1) answers HELO
//     with one line, "250 2.0.0 Hello <domain>", and EHLO with several,
//     the first "250-Hello <domain>" (no other reply starts so), which
//     Received records as "with SMTP" or "with ESMTP".
//
// Telling replies from client bytes: go-smtp writes a reply to the
// connection, then the same bytes to Debug, on one goroutine; conn.Write
// raises a flag that the next Debug write takes down. A Debug write with
// the flag down is the client's. TLS writes records of its own (handshake,
// key updates) with no Debug copy, so a client line read right after one
// is seen with the flag up; it is taken for a reply only if it also looks
// like a reply line, and then only the client that sent it pays.

// serve runs c on a per-connection copy of the connector's server.
func (t *Transport) serve(s *rcServer, c *conn, lg *rxLog) {
	srv := cloneServer(s.srv)
	w := &replyWatch{t: t, c: c}
	srv.Debug = w
	if lg != nil { // Verbose protocol logging (protolog.go)
		w.log = lg
		t.serveLogged(s, srv, c, lg)
		return
	}
	_ = srv.Serve(&oneConn{c: c})
}

// replyWatch is a connection's go-smtp Debug writer.
type replyWatch struct {
	t   *Transport
	c   *conn
	log io.Writer // the protocol log, or nil
}

func (w *replyWatch) Write(p []byte) (int, error) {
	if w.log != nil {
		_, _ = w.log.Write(p)
	}
	if w.c.wrote.Swap(false) && looksLikeReply(p) {
		w.reply(p)
	}
	return len(p), nil
}

// reply inspects one reply line as written by go-smtp (each line is one
// write: textproto flushes per line; conn gathers them for the socket).
func (w *replyWatch) reply(p []byte) {
	c := w.c
	switch {
	case bytes.HasPrefix(p, []byte("250-Hello ")):
		c.esmtp.Store(true)
		return
	case bytes.HasPrefix(p, []byte("250 2.0.0 Hello ")):
		c.esmtp.Store(false)
		return
	}
	if p[3] != ' ' || p[0] != '4' && p[0] != '5' {
		return
	}
	if !c.replyCounts(p) {
		return
	}
	rc := c.srv.rc
	if c.countReply() {
		w.t.log.Info("smtpx: too many errors, disconnecting", "session", c.id, "connector", rc.Name())
		c.closeNow() // after the reply
		return
	}
	if !c.authed.Load() {
		w.t.tarpit(c, rc.TarpitInterval())
	}
}

// replyCounts reports whether an error reply line counts towards
// MaxProtocolErrors; a refusal the session counted itself is skipped.
func (c *conn) replyCounts(p []byte) bool {
	c.mu.Lock()
	counted := c.counted > 0
	if counted {
		c.counted--
	}
	c.mu.Unlock()
	if counted {
		return false
	}
	closing := bytes.HasPrefix(p, []byte("421 ")) || bytes.HasSuffix(p, []byte("closing connection\r\n")) ||
		bytes.HasSuffix(p, []byte("Quiting now\r\n"))
	serverTrouble := bytes.HasPrefix(p[3:], []byte(" 4.3.")) || bytes.HasPrefix(p, []byte("454 4.7.0 "))
	return !closing && !serverTrouble
}

// countReply counts an error reply go-smtp wrote and reports whether the
// limit is reached.
func (c *conn) countReply() bool {
	limit := c.srv.rc.MaxProtocolErrors()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.protocolErrors++
	return limit > 0 && c.protocolErrors >= limit
}

// oneConn is the listener of a per-connection server: it hands over its
// connection once, then reports itself closed so Serve returns at once.
type oneConn struct {
	mu sync.Mutex
	c  net.Conn
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.c
	l.c = nil
	if c == nil {
		return nil, net.ErrClosed
	}
	return c, nil
}

func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return chanAddr{} }
