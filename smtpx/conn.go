package smtpx

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// conn wraps every accepted connection before go-smtp sees it. It holds the
// state that must outlive go-smtp's sessions (a new Session is created at
// each EHLO after STARTTLS): the receive connector, the protocol-error and
// logon-failure counts, and the session ID. It also enforces what go-smtp
// cannot:
//
//   - the inactivity timeout on every read, including the body of DATA
//     (go-smtp refreshes its ReadTimeout per command line only, so a slow
//     but steady upload would otherwise be cut off);
//   - the absolute ConnectionTimeout, by capping every read deadline;
//   - the connector's banner: go-smtp's greeting is the first write on a
//     connection, and it is replaced by ours (custom Banner or the default);
//   - "answer, then disconnect" after too many errors, and draining on
//     shutdown, by closing right after the next write.
//
// After STARTTLS go-smtp writes through a *tls.Conn whose NetConn is this
// conn, so the wrapper only ever sees whole TLS records; that is why banner
// replacement happens before TLS and why the close-after-write flag works
// on records, not on reply text. Reply text is read from go-smtp's Debug
// stream instead (replies.go).
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

	// Replies wait in wbuf until go-smtp next reads or closes: go-smtp
	// flushes each line of a multi-line reply on its own (textproto's
	// PrintfLine), and a write system call per line was the largest single
	// cost of a session. reading is set while a Read blocks, so that a
	// reply written meanwhile (from go-smtp's BDAT goroutine) goes out at
	// once. wmu is not held by anything but these, so a write blocked on
	// a slow client never holds up mu.
	// A protocol-logged connection does not gather (gather false): the
	// log's tap pairs each raw write with go-smtp's Debug copy of it.
	wmu     sync.Mutex
	wbuf    []byte
	reading bool
	gather  bool

	wrote  atomic.Bool // written to since go-smtp's last Debug write (replies.go)
	esmtp  atomic.Bool // the client's last greeting was EHLO, not HELO
	authed atomic.Bool // the current session is authenticated (no tarpit)

	mu             sync.Mutex
	banner         []byte // written instead of go-smtp's greeting
	closeAfter     bool   // close once the next write is done
	draining       bool   // transport shutting down
	inTx           bool   // a mail transaction (MAIL to end of DATA) is open
	protocolErrors int
	counted        int // refusals counted by the session, replies not yet written
	logonFailures  int
	rdns           string
	rdnsDone       bool
	bdat           *bdatRun // the last BDAT transfer's Data call
}

// bdatRun is a BDAT transfer: go-smtp runs Data on its own goroutine,
// reading from pr.
type bdatRun struct {
	pr   *io.PipeReader
	done chan struct{} // closed when Data returns
}

func (c *conn) Read(p []byte) (int, error) {
	c.wmu.Lock()
	err := c.flushLocked()
	c.reading = err == nil
	c.wmu.Unlock()
	if err != nil {
		return 0, err
	}
	defer func() {
		c.wmu.Lock()
		c.reading = false
		c.wmu.Unlock()
	}()
	d := time.Now().Add(c.inactivity)
	if d.After(c.deadline) {
		d = c.deadline
	}
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// writeBuffer is the most a conn gathers before writing anyway.
const writeBuffer = 16 << 10

func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	out := p
	if c.banner != nil {
		out, c.banner = c.banner, nil
	}
	closeAfter := c.closeAfter
	c.mu.Unlock()
	c.wrote.Store(true)
	c.wmu.Lock()
	c.wbuf = append(c.wbuf, out...)
	var err error
	if !c.gather || closeAfter || c.reading || len(c.wbuf) >= writeBuffer {
		err = c.flushLocked()
	}
	c.wmu.Unlock()
	if closeAfter {
		c.Conn.Close()
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// flushLocked writes what is gathered; c.wmu is held.
func (c *conn) flushLocked() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.inactivity))
	_, err := c.Conn.Write(c.wbuf)
	if cap(c.wbuf) > 2048 {
		c.wbuf = nil // an idle connection keeps no large buffer
	} else {
		c.wbuf = c.wbuf[:0]
	}
	return err
}

// closeNow writes what is gathered and closes the connection: the reply
// just written is its last.
func (c *conn) closeNow() {
	c.wmu.Lock()
	_ = c.flushLocked()
	c.wmu.Unlock()
	c.Conn.Close()
}

// Close writes what is gathered, closes the connection once and gives back
// its admission slot.
func (c *conn) Close() error {
	c.wmu.Lock()
	_ = c.flushLocked()
	c.wmu.Unlock()
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		close(c.closedCh)
		c.release()
	})
	return err
}

// closeAfterNextWrite makes the next reply the last one.
func (c *conn) closeAfterNextWrite() {
	c.mu.Lock()
	c.closeAfter = true
	c.mu.Unlock()
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
// once the transport drains, so no transaction starts after Shutdown began
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

// joinTx counts one more holder of the open transaction in wg (Data on
// go-smtp's BDAT goroutine); it fails when no transaction is open, so wg
// is never raised from zero behind Shutdown's Wait.
func (c *conn) joinTx(wg *sync.WaitGroup) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.inTx {
		return false
	}
	wg.Add(1)
	return true
}

// startBDAT records a BDAT transfer whose Data call is starting.
func (c *conn) startBDAT(pr *io.PipeReader) *bdatRun {
	run := &bdatRun{pr: pr, done: make(chan struct{})}
	c.mu.Lock()
	c.bdat = run
	c.mu.Unlock()
	return run
}

// awaitBDAT waits, at the next MAIL, until the previous BDAT transfer's
// goroutine is gone. go-smtp (v0.25.1) does not wait for it after RSET:
// once Data returns, that goroutine still reads the connection's result
// channel field, which the next BDAT replaces, and could hand its
// ErrDataReset to the new transfer. The goroutine's last act is to close
// pr, so a read that sees io.ErrClosedPipe both proves it finished and
// orders its accesses before ours (the pipe's lock). MAIL only reaches the
// session once go-smtp has closed the pipe's write end, so Data returns
// promptly and pr.Read never blocks. A transfer aborted before Data even
// started (an empty first chunk) is not seen here.
func (c *conn) awaitBDAT() {
	c.mu.Lock()
	run := c.bdat
	c.bdat = nil
	c.mu.Unlock()
	if run == nil {
		return
	}
	<-run.done
	for {
		if _, err := run.pr.Read(nil); errors.Is(err, io.ErrClosedPipe) {
			return
		}
		runtime.Gosched()
	}
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
		c.closeNow() // after the DATA reply
	}
}

func (c *conn) isDraining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

// countError records a refusal (or failed logon) and reports whether the
// session must now be closed (MaxProtocolErrors / MaxLogonFailures; 0 means
// unlimited / never). Its reply is marked counted, so that replyWatch,
// which counts every error reply, skips it.
func (c *conn) countError(logon bool) bool {
	rc := c.srv.rc
	c.mu.Lock()
	defer c.mu.Unlock()
	c.protocolErrors++
	c.counted++
	if logon {
		c.logonFailures++
	}
	over := rc.MaxProtocolErrors() > 0 && c.protocolErrors >= rc.MaxProtocolErrors() ||
		logon && rc.MaxLogonFailures() > 0 && c.logonFailures >= rc.MaxLogonFailures()
	if over {
		c.closeAfter = true
	}
	return over
}
