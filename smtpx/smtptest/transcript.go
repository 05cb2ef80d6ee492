package smtptest

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// How the transcript is captured. go-smtp tees the plaintext of a
// connection, before and after STARTTLS, into its Server.Debug writer:
// bytes read from the client through an io.TeeReader and bytes written
// by the server through an io.MultiWriter that writes the connection
// first. The sink runs one go-smtp Server per connection so Debug is per
// connection, and wraps the raw net.Conn so every server write raises a
// flag just before its Debug copy arrives; a Debug write with the flag
// set and the shape of a reply line is the server's, anything else the
// client's. TLS handshake writes raise the flag without a Debug copy, so
// the session clears it when go-smtp logs out the pre-TLS session right
// after the handshake.

// transcriptLine is one line of a connection's dialogue.
type transcriptLine struct {
	conn   int
	server bool
	text   string // without the line ending
}

// connRecorder is the per-connection go-smtp Debug writer.
type connRecorder struct {
	sink    *Sink
	id      int
	wrote   atomic.Bool // the raw conn was just written to
	partial []byte      // client bytes after the last line end
}

func (r *connRecorder) Write(p []byte) (int, error) {
	if r.wrote.Swap(false) && looksLikeReply(p) {
		for _, line := range strings.SplitAfter(string(p), "\n") {
			if line != "" {
				r.sink.addLine(r.id, true, line)
			}
		}
		return len(p), nil
	}
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		r.sink.addLine(r.id, false, string(r.partial[:i+1]))
		r.partial = r.partial[i+1:]
	}
	return len(p), nil
}

// flush records a final client line that never got its line end.
func (r *connRecorder) flush() {
	if len(r.partial) > 0 {
		r.sink.addLine(r.id, false, string(r.partial))
		r.partial = nil
	}
}

// looksLikeReply reports whether p starts like an SMTP reply line
// ("250 " or "250-").
func looksLikeReply(p []byte) bool {
	return len(p) >= 4 && isDigit(p[0]) && isDigit(p[1]) && isDigit(p[2]) && (p[3] == ' ' || p[3] == '-')
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// recordingConn is the raw connection handed to go-smtp.
type recordingConn struct {
	net.Conn
	rec     *connRecorder
	onClose func()
	once    sync.Once
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.rec.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *recordingConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.onClose)
	return err
}

// oneConnListener hands a single connection to smtp.Server.Serve and
// then reports itself closed once that connection is, so Serve returns.
type oneConnListener struct {
	conns  chan net.Conn
	addr   net.Addr
	closed chan struct{}
	once   sync.Once
}

func newOneConnListener(c net.Conn) *oneConnListener {
	l := &oneConnListener{conns: make(chan net.Conn, 1), addr: c.LocalAddr(), closed: make(chan struct{})}
	l.conns <- c
	return l
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.addr }

// formatLines renders lines for Transcript and Dialogue.
func formatLines(lines []transcriptLine, withServer bool) string {
	var b strings.Builder
	for _, l := range lines {
		switch {
		case withServer && l.server:
			fmt.Fprintf(&b, "%d S: ", l.conn)
		case withServer:
			fmt.Fprintf(&b, "%d C: ", l.conn)
		case l.server:
			continue
		}
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}
