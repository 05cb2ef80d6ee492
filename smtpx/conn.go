package smtpx

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// conn wraps every accepted connection. It holds what outlives a session
// (a new one starts at the first EHLO after STARTTLS): the receive
// connector, the protocol-error and logon-failure counts and the session
// ID, and it enforces:
//
//   - the inactivity timeout on every read and write, message bodies
//     included, so a slow but steady upload is not cut off while a stalled
//     one is;
//   - the absolute ConnectionTimeout, by capping every read deadline;
//   - "answer, then disconnect" after too many errors, and draining on
//     shutdown.
type conn struct {
	net.Conn
	srv        *rcServer
	id         string
	remote     netip.AddrPort
	inactivity time.Duration
	deadline   time.Time // absolute ConnectionTimeout
	closedCh   chan struct{}
	closeOnce  sync.Once
	release    func()
	final      atomic.Bool // being closed: Write keeps the deadline it finds

	mu             sync.Mutex
	closeAfter     bool // close once the current reply is written
	draining       bool // server shutting down
	inTx           bool // a mail transaction (MAIL to end of DATA) is open
	protocolErrors int
	logonFailures  int
	overLimit      bool // MaxProtocolErrors or MaxLogonFailures reached
	rdns           string
	rdnsDone       bool
}

func (c *conn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.nextDeadline()); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *conn) Write(p []byte) (int, error) {
	if !c.final.Load() {
		if err := c.Conn.SetWriteDeadline(c.nextDeadline()); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// nextDeadline bounds the next read or write: the inactivity timeout,
// capped by the absolute ConnectionTimeout.
func (c *conn) nextDeadline() time.Time {
	d := time.Now().Add(c.inactivity)
	if d.After(c.deadline) {
		return c.deadline
	}
	return d
}

// Close closes the connection once and gives back its admission slot.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		close(c.closedCh)
		c.release()
	})
	return err
}

// closeAfterReply makes the reply being written the session's last.
func (c *conn) closeAfterReply() {
	c.mu.Lock()
	c.closeAfter = true
	c.mu.Unlock()
}

// closing reports whether the session must end after its last reply.
func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeAfter
}

// drain is called on shutdown: a connection without an open mail
// transaction is closed at once; one with a transaction may finish it and
// is closed when it ends (endTx), right after the final DATA reply.
func (c *conn) drain() {
	c.mu.Lock()
	c.draining = true
	busy := c.inTx
	c.mu.Unlock()
	if !busy {
		c.Conn.Close()
	}
}

// beginTx opens a mail transaction (at MAIL) and counts it in wg; it fails
// once the server drains, so no transaction starts after Shutdown began
// (the lock orders wg.Add before Shutdown's wg.Wait).
func (c *conn) beginTx(wg *sync.WaitGroup) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return false
	}
	if !c.inTx {
		c.inTx = true
		wg.Add(1)
	}
	return true
}

// endTx closes the transaction (RSET, EHLO, after the DATA reply, or the
// session ending); while draining, the connection goes with it.
func (c *conn) endTx(wg *sync.WaitGroup) {
	c.mu.Lock()
	was, drain := c.inTx, c.draining
	c.inTx = false
	c.mu.Unlock()
	if was {
		wg.Done()
	}
	if drain {
		c.Conn.Close() // after the DATA reply
	}
}

func (c *conn) isDraining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

// countError records a refusal (or failed logon) and reports whether the
// session must now be closed (MaxProtocolErrors / MaxLogonFailures; 0 means
// unlimited / never).
func (c *conn) countError(logon bool) bool {
	rc := c.srv.rc
	c.mu.Lock()
	defer c.mu.Unlock()
	c.protocolErrors++
	if logon {
		c.logonFailures++
	}
	over := rc.MaxProtocolErrors() > 0 && c.protocolErrors >= rc.MaxProtocolErrors() ||
		logon && rc.MaxLogonFailures() > 0 && c.logonFailures >= rc.MaxLogonFailures()
	if over {
		c.closeAfter, c.overLimit = true, true
	}
	return over
}

// overErrorLimit reports whether the session ends because of an error
// limit, which the client is told with a 421 after the last reply.
func (c *conn) overErrorLimit() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.overLimit
}
