package smtpx

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// scriptConn is a client whose bytes arrive in the chunks sent on in; it
// records each write the server makes, and signals it on wrote.
type scriptConn struct {
	net.Conn
	in     chan []byte
	wrote  chan struct{} // a write happened
	mu     sync.Mutex
	writes [][]byte
}

func (c *scriptConn) Read(p []byte) (int, error) {
	b, ok := <-c.in
	if !ok {
		return 0, io.EOF
	}
	return copy(p, b), nil
}

func (c *scriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	select {
	case c.wrote <- struct{}{}:
	default: // full: a waiter has writes to count already
	}
	return len(p), nil
}

func (c *scriptConn) nwrites() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }
func (c *scriptConn) LocalAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:25"))
}
func (c *scriptConn) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:40000"))
}

// serveScript serves a scriptConn on a connector of a server that is
// not listening, and returns it with a channel closed when the session
// has ended.
func serveScript(t *testing.T) (*scriptConn, <-chan struct{}) {
	t.Helper()
	rcCfg := connector.NewReceiveConfig("Script", connector.UsageInternet)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:25")}
	rcCfg.TarpitInterval = 0
	rc, err := rcCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewServer(discardQueue{}, WithServerName("hub01.contoso.com"), WithReceiveConnector(rc))
	if err != nil {
		t.Fatal(err)
	}
	sc := &scriptConn{in: make(chan []byte, 8), wrote: make(chan struct{}, 16)}
	s := tr.gen.Load().servers[rc.Name()]
	c := tr.wrap(s, sc, netip.MustParseAddrPort("127.0.0.1:40000"))
	tr.serve(s, c)
	t.Cleanup(func() {
		tr.connWG.Wait()
		tr.workers.Close() // what Shutdown does last
	})
	return sc, c.closedCh
}

// A pipelining client (RFC 2920) gets the replies to everything it sent at
// once in one write; a client in lock step gets one write per reply.
func TestRepliesGatheredPerPipelinedGroup(t *testing.T) {
	sc, done := serveScript(t)
	sc.in <- []byte("EHLO client.example\r\nNOOP\r\nRSET\r\nQUIT\r\n")
	<-done
	if n := sc.nwrites(); n != 2 {
		t.Fatalf("%d writes for the banner and four pipelined replies, want 2: %q", n, sc.writes)
	}

	sc, done = serveScript(t)
	for i, cmd := range []string{"EHLO client.example\r\n", "NOOP\r\n", "RSET\r\n"} {
		sc.in <- []byte(cmd)
		for sc.nwrites() < i+2 { // the banner, and a reply to each command so far
			select {
			case <-sc.wrote:
			case <-time.After(queuetest.WaitDeadline):
				t.Fatalf("no reply to %q", cmd)
			}
		}
		if n := sc.nwrites(); n != i+2 {
			t.Fatalf("after %q: %d writes, want %d", cmd, n, i+2)
		}
	}
	close(sc.in)
	<-done
}
