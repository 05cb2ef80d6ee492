package smtpx

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// countConn records each write to the socket; reads block until closed.
type countConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	closed chan struct{}
}

func (c *countConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *countConn) Read([]byte) (int, error)         { <-c.closed; return 0, net.ErrClosed }
func (c *countConn) Close() error                     { return nil }
func (c *countConn) SetReadDeadline(time.Time) error  { return nil }
func (c *countConn) SetWriteDeadline(time.Time) error { return nil }

func (c *countConn) got() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// The lines of a reply reach the socket in one write, when go-smtp reads
// next or closes; a connection that does not gather writes each at once.
func TestConnGathersReplies(t *testing.T) {
	lines := []string{"250-Hello\r\n", "250-PIPELINING\r\n", "250 SIZE\r\n"}
	for _, tc := range []struct {
		name   string
		gather bool
		end    func(c *conn)
		want   int // socket writes
	}{
		{"flushed by Read", true, func(c *conn) { c.Read(make([]byte, 1)) }, 1},
		{"flushed by Close", true, func(c *conn) { c.Close() }, 1},
		{"flushed by closeNow", true, func(c *conn) { c.closeNow() }, 1},
		{"not gathering", false, func(c *conn) { c.Close() }, len(lines)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := &countConn{closed: make(chan struct{})}
			close(cc.closed) // Read returns at once
			c := &conn{Conn: cc, gather: tc.gather, inactivity: time.Minute, deadline: time.Now().Add(time.Hour), closedCh: make(chan struct{}), release: func() {}}
			for _, l := range lines {
				if _, err := c.Write([]byte(l)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.gather && len(cc.got()) != 0 {
				t.Fatalf("%d socket writes before go-smtp read", len(cc.got()))
			}
			tc.end(c)
			w := cc.got()
			if len(w) != tc.want || string(bytes.Join(w, nil)) != lines[0]+lines[1]+lines[2] {
				t.Fatalf("socket writes %q, want %d carrying the reply", w, tc.want)
			}
		})
	}
}

// A reply written while go-smtp is blocked reading (from its BDAT
// goroutine) goes out at once instead of waiting for the read to end.
func TestConnWritesThroughDuringRead(t *testing.T) {
	cc := &countConn{closed: make(chan struct{})}
	c := &conn{Conn: cc, gather: true, inactivity: time.Minute, deadline: time.Now().Add(time.Hour), closedCh: make(chan struct{}), release: func() {}}
	done := make(chan struct{})
	go func() { c.Read(make([]byte, 1)); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.wmu.Lock()
		reading := c.reading
		c.wmu.Unlock()
		if reading {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Read never started")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	if _, err := c.Write([]byte("250 2.0.0 OK\r\n")); err != nil {
		t.Fatal(err)
	}
	if len(cc.got()) != 1 {
		t.Fatalf("reply held while a Read was blocked: %q", cc.got())
	}
	close(cc.closed)
	<-done
}
