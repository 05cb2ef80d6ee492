package smtpx

import (
	"errors"
	"fmt"
	"github.com/hubedge/hubedge/dsn"
	"net"
	"net/netip"
	"time"
)

// boundListener is one socket: a distinct binding shared by every receive
// connector bound to it.
type boundListener struct {
	binding netip.AddrPort
	ln      net.Listener
}

// acceptLoop accepts on one socket until it is closed, backing off on
// temporary errors (EMFILE) the way net/http does.
func (t *Server) acceptLoop(bl *boundListener) {
	var delay time.Duration
	for {
		nc, err := bl.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t.log.Warn("smtpx: accept failed", "binding", bl.binding, "err", err, "retry", delay)
			timer := time.NewTimer(delay)
			select {
			case <-timer.C:
			case <-t.done:
				timer.Stop()
				return
			}
			continue
		}
		delay = 0
		t.admit(bl.binding, nc)
	}
}

// admit matches a connection with its receive connector (connector.Set
// Select), applies the connection limits and serves it on a
// goroutine of its own (serve.go). Refusals are answered before any command is
// read.
func (t *Server) admit(binding netip.AddrPort, nc net.Conn) {
	remote := addrPortOf(nc.RemoteAddr())
	g := t.gen.Load()
	rc, err := g.set.Select(binding, remote.Addr())
	if err != nil {
		t.refuse(nc, "", remote, replyNoConnector)
		return
	}
	s := g.servers[rc.Name()]
	if r := s.acquire(remote.Addr()); r != nil {
		t.refuse(nc, rc.Name(), remote, r)
		return
	}
	c := t.wrap(s, nc, remote)
	t.emit(Event{Kind: EventConnect, Connector: rc.Name(), Session: c.id, Remote: remote})
	t.serve(s, c)
}

// wrap registers a connection; its Close releases the admission slot.
func (t *Server) wrap(s *rcServer, nc net.Conn, remote netip.AddrPort) *conn {
	rc := s.rc
	now := time.Now()
	c := &conn{
		Conn:       nc,
		srv:        s,
		id:         fmt.Sprintf("%016X", uint64(now.UnixNano())+t.seq.Add(1)),
		remote:     remote,
		inactivity: rc.ConnectionInactivityTimeout(),
		deadline:   now.Add(rc.ConnectionTimeout()),
		closedCh:   make(chan struct{}),
	}
	t.mu.Lock()
	t.conns[c] = struct{}{}
	t.mu.Unlock()
	t.connWG.Add(1)
	c.release = func() {
		s.release(remote.Addr())
		t.mu.Lock()
		delete(t.conns, c)
		t.mu.Unlock()
		t.emit(Event{Kind: EventDisconnect, Connector: rc.Name(), Session: c.id, Remote: remote})
		t.connWG.Done()
	}
	return c
}

// maxRefusing bounds the refusals being written at once: under a flood
// of connections over the limits, the rest are closed without a reply.
const maxRefusing = 64

// refuse answers a connection that will not be served, then closes it,
// off the accept loop so a slow client cannot stall it.
func (t *Server) refuse(nc net.Conn, connector string, remote netip.AddrPort, r *dsn.Reply) {
	t.emit(Event{Kind: EventReject, Connector: connector, Remote: remote, Reply: r})
	if t.refusing.Add(1) > maxRefusing {
		t.refusing.Add(-1)
		nc.Close()
		return
	}
	t.acceptWG.Go(func() {
		defer t.refusing.Add(-1)
		_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = nc.Write(appendReply(nil, r))
		nc.Close()
	})
}

// tarpit delays an error reply to a misbehaving unauthenticated client
// (TarpitInterval), as the reference system documents, on the server's
// clock; shutdown and the connection closing cut it short.
func (t *Server) tarpit(c *conn, d time.Duration) {
	if d <= 0 {
		return
	}
	fired := make(chan struct{})
	timer := t.opts.clock.AfterFunc(d, func() { close(fired) })
	defer timer.Stop()
	select {
	case <-fired:
	case <-t.done:
	case <-c.closedCh:
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
