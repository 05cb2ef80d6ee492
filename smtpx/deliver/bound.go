package deliver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
)

// ErrReplyTooLong is the connection-level error for a next hop whose reply
// to one command exceeds the bounds below (an endless multi-line reply, a
// line that never ends); the attempt fails and the next host is tried.
var ErrReplyTooLong = errors.New("deliver: reply too long")

// Bounds on what a next hop may send back for one command. wire.ReadReply
// bounds one reply's lines and their length; these bound the bytes a
// whole exchange may bring, a pipelined batch's replies and TLS records
// included, so a hostile host cannot fill memory or keep a session busy.
const (
	// Before the handover (greeting, EHLO, STARTTLS, on the plaintext
	// connection): one reply.
	maxNegotiationReply = 64 << 10
	maxNegotiationLines = 512
	// From the TLS handshake on, for every command written (a pipelined
	// batch included): what the connection delivers, TLS records and all,
	// until the next write. It leaves room for a TLS server flight and
	// for the replies of a 32 KiB batch of RCPTs.
	maxReadPerWrite = 256 << 10
)

// boundedConn is the dialed connection, under the protocol log and TLS:
// a write (a command) resets the budget its reads draw on. Past the
// negotiation's line bound, the next read fails, so a reply holds at most
// one read (4 KiB) of lines more.
type boundedConn struct {
	net.Conn

	mu          sync.Mutex
	read, lines int
	handedOver  bool
}

func (c *boundedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	limit := maxReadPerWrite
	if !c.handedOver {
		limit = maxNegotiationReply
	}
	room, lines := limit-c.read, c.lines
	c.mu.Unlock()
	if room <= 0 || lines > maxNegotiationLines {
		return 0, fmt.Errorf("%w: more than %d bytes or %d lines", ErrReplyTooLong, limit, maxNegotiationLines)
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read += n
	if !c.handedOver {
		c.lines += bytes.Count(p[:n], []byte{'\n'})
	}
	c.mu.Unlock()
	return n, err
}

func (c *boundedConn) Write(p []byte) (int, error) {
	if len(p) > 0 {
		c.mu.Lock()
		c.read, c.lines = 0, 0
		c.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// handOver moves raw's bounds from the negotiation's to maxReadPerWrite,
// before the TLS handshake or, without TLS, the rest of the session.
func handOver(raw net.Conn) {
	if c, ok := unlogged(raw).(*boundedConn); ok {
		c.mu.Lock()
		c.handedOver = true
		c.mu.Unlock()
	}
}
