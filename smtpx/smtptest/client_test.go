package smtptest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// serveOne accepts one connection on 127.0.0.1:0 and runs fn on it
// (with a 10 s deadline, so a broken test cannot hang). The cleanup waits
// for fn; register it before dialing so the client closes first.
func serveOne(t *testing.T, fn func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := newLocalListener()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fn(c, bufio.NewReader(c))
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// drain reads until the client goes away.
func drain(c net.Conn, r *bufio.Reader) { _, _ = io.Copy(io.Discard, r) }

// echo greets, then answers every line with 250 and the line quoted
// (so bare LF and CR show), and a DATA command with 354 and then 250 and
// the quoted body up to the final dot.
func echo(c net.Conn, r *bufio.Reader) {
	io.WriteString(c, "220 echo\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if line != "DATA\r\n" {
			fmt.Fprintf(c, "250 %q\r\n", line)
			continue
		}
		io.WriteString(c, "354 go ahead\r\n")
		var body strings.Builder
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if l == ".\r\n" {
				break
			}
			body.WriteString(l)
		}
		fmt.Fprintf(c, "250 %q\r\n", body.String())
	}
}

func TestClientReadsReplies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		greeting string
		close    bool
		want     string
		wantErr  func(error) bool
	}{
		{name: "one line", greeting: "220 mx.example ESMTP\r\n", want: "220 mx.example ESMTP"},
		{name: "multi-line", greeting: "220-mx.example\r\n220-second\r\n220 third\r\n", want: "220 mx.example\nsecond\nthird"},
		{name: "empty text", greeting: "554 \r\n", want: "554 "},
		// RFC 5321 §4.2's last reply line may be the code alone.
		{name: "code without space", greeting: "554\r\n", want: "554 "},
		{name: "not a reply", greeting: "hello\r\n", want: "EOF",
			wantErr: func(err error) bool { return errors.Is(err, wire.ErrBadReply) }},
		{name: "closed", close: true, want: "EOF",
			wantErr: func(err error) bool { return errors.Is(err, io.EOF) }},
		{name: "closed mid-reply", greeting: "220-mx.example\r\n", close: true, want: "EOF",
			wantErr: func(err error) bool { return errors.Is(err, io.EOF) }},
		{name: "silent", want: "EOF", wantErr: isTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serveOne(t, func(c net.Conn, r *bufio.Reader) {
				io.WriteString(c, tc.greeting)
				if !tc.close {
					drain(c, r)
				}
			})
			c, got := Dial(t, a, ClientTimeout(200*time.Millisecond))
			if got != tc.want {
				t.Fatalf("reply %q, want %q", got, tc.want)
			}
			if tc.wantErr != nil && !tc.wantErr(c.Err()) {
				t.Fatalf("Err() = %v", c.Err())
			}
		})
	}
}

func TestClientWritesBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(c *Client) []string
		want []string
	}{{
		name: "command",
		run:  func(c *Client) []string { return []string{c.Cmd("EHLO client.example")} },
		want: []string{`250 "EHLO client.example\r\n"`},
	}, {
		name: "pipelined",
		run: func(c *Client) []string {
			return []string{c.Send("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"), c.ReadReply()}
		},
		want: []string{`250 "MAIL FROM:<a@x>\r\n"`, `250 "RCPT TO:<b@y>\r\n"`},
	}, {
		name: "bare LF stays bare",
		run:  func(c *Client) []string { return []string{c.Send("NOOP\n")} },
		want: []string{`250 "NOOP\n"`},
	}, {
		name: "write reads nothing",
		run: func(c *Client) []string {
			c.Write([]byte("NO"))
			return []string{c.Send("OP\r\n")}
		},
		want: []string{`250 "NOOP\r\n"`},
	}, {
		name: "data is dot-stuffed and terminated",
		run:  func(c *Client) []string { return []string{c.Data(".hidden\nline\r\nno final CRLF")} },
		want: []string{`250 "..hidden\r\nline\r\nno final CRLF\r\n"`},
	}, {
		name: "body after a manual DATA",
		run: func(c *Client) []string {
			c.Cmd("DATA")
			c.WriteBody("Subject: x\r\n\r\n.\r\n")
			return []string{c.ReadReply()}
		},
		want: []string{`250 "Subject: x\r\n\r\n..\r\n"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c, greeting := Dial(t, serveOne(t, echo))
			if greeting != "220 echo" {
				t.Fatal(greeting)
			}
			got := tc.run(c)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestClientDataRefused(t *testing.T) {
	a := serveOne(t, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 x\r\n")
		r.ReadString('\n')
		io.WriteString(c, "503 5.5.1 no recipients\r\n")
		drain(c, r)
	})
	c, _ := Dial(t, a)
	if got := c.Data("Subject: x\r\n\r\nbody\r\n"); got != "503 5.5.1 no recipients" {
		t.Fatalf("got %q", got)
	}
}

func TestClientExpect(t *testing.T) {
	c, _ := Dial(t, serveOne(t, echo))
	if err := c.Expect(Step{"EHLO a", `250 "EHLO a`}, Step{"RAW:NOOP\n", `250 "NOOP\n"`},
		Step{"DATA:Subject: x\r\n\r\nhi\r\n", `250 "Subject: x`}); err != nil {
		t.Fatal(err)
	}
	err := c.Expect(Step{"NOOP", "250"}, Step{"RSET", "550"}, Step{"QUIT", "221"})
	var se *StepError
	if !errors.As(err, &se) || !errors.Is(err, ErrUnexpectedReply) {
		t.Fatalf("err = %v", err)
	}
	if se.Index != 1 || se.Got != `250 "RSET\r\n"` {
		t.Fatalf("StepError %+v", se)
	}
	// The script stopped at the mismatch: QUIT was never sent.
	if got := c.Cmd("NEXT"); got != `250 "NEXT\r\n"` {
		t.Fatalf("after the script: %q", got)
	}
}

func TestClientWait(t *testing.T) {
	const wait = 100 * time.Millisecond
	for _, tc := range []struct {
		name   string
		then   func(c net.Conn, r *bufio.Reader) // after the client's QUIT line
		want   ConnState
		closed bool // Closed after Wait
	}{
		{name: "close", then: func(c net.Conn, _ *bufio.Reader) { c.Close() }, want: StateClosed, closed: true},
		{name: "reset", then: func(c net.Conn, _ *bufio.Reader) {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, want: StateClosed, closed: true},
		// Closed discards the unread replies; Wait does not.
		{name: "replies then close", then: func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "221 bye\r\n")
			io.WriteString(c, "221 bye again\r\n")
			c.Close()
		}, want: StateData, closed: true},
		{name: "reply then silence", then: func(c net.Conn, r *bufio.Reader) {
			io.WriteString(c, "250 still here\r\n")
			drain(c, r)
		}, want: StateData},
		{name: "silent", then: drain, want: StateTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serveOne(t, func(c net.Conn, r *bufio.Reader) {
				io.WriteString(c, "220 x\r\n")
				if _, err := r.ReadString('\n'); err == nil {
					tc.then(c, r)
				}
			})
			c, _ := Dial(t, a)
			c.Write([]byte("QUIT\r\n"))
			first := 5 * time.Second // how long the server may take to act
			if tc.want == StateTimeout {
				first = wait
			}
			if got := c.Wait(first); got != tc.want {
				t.Fatalf("Wait = %v, want %v (%v)", got, tc.want, c.Err())
			}
			if got := c.Wait(wait); got != tc.want {
				t.Fatalf("Wait again = %v, want %v", got, tc.want)
			}
			closedWait := wait
			if tc.closed {
				closedWait = 5 * time.Second
			}
			if got := c.Closed(closedWait); got != tc.closed {
				t.Fatalf("Closed = %v, want %v (%v)", got, tc.closed, c.Err())
			}
		})
	}
}

func TestClientBufferedReplyIsData(t *testing.T) {
	a := serveOne(t, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 x\r\n")
		r.ReadString('\n')
		io.WriteString(c, "250 one\r\n250 two\r\n")
		c.Close()
	})
	c, _ := Dial(t, a)
	if got := c.Send("NOOP\r\nNOOP\r\n"); got != "250 one" {
		t.Fatal(got)
	}
	if got := c.Wait(5 * time.Second); got != StateData {
		t.Fatalf("Wait = %v with a reply unread", got)
	}
	if got := c.ReadReply(); got != "250 two" {
		t.Fatal(got)
	}
	if !c.Closed(5 * time.Second) {
		t.Fatal(c.Err())
	}
}

// tlsEcho greets, accepts STARTTLS with reply (its bytes as given) and,
// after the handshake, echoes like echo.
func tlsEcho(pki *PKI, reply string) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 x\r\n")
		if l, err := r.ReadString('\n'); err != nil || l != "STARTTLS\r\n" {
			return
		}
		io.WriteString(c, reply)
		if !strings.HasPrefix(reply, "220") {
			drain(c, r)
			return
		}
		tc := tls.Server(c, pki.ServerTLSConfig("mx.example"))
		if tc.Handshake() != nil {
			return
		}
		br := bufio.NewReader(tc)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			fmt.Fprintf(tc, "250 tls %q\r\n", line)
		}
	}
}

func TestClientStartTLS(t *testing.T) {
	pki := NewPKI(t)
	c, _ := Dial(t, serveOne(t, tlsEcho(pki, "220 2.0.0 ready\r\n")))
	if _, ok := c.ConnectionState(); ok {
		t.Fatal("TLS before STARTTLS")
	}
	c.StartTLS(pki.ClientTLSConfig("mx.example"))
	if st, ok := c.ConnectionState(); !ok || !st.HandshakeComplete || st.ServerName != "mx.example" {
		t.Fatalf("state %+v, %v", st, ok)
	}
	if got := c.Cmd("EHLO client.example"); got != `250 tls "EHLO client.example\r\n"` {
		t.Fatal(got)
	}
	c.Close()
}

func TestClientStartTLSFailures(t *testing.T) {
	pki := NewPKI(t)
	for _, tc := range []struct {
		name, reply, serverName, want string
	}{
		{"refused", "454 4.7.0 TLS not available\r\n", "mx.example", "STARTTLS: 454 4.7.0"},
		// Either the extra bytes are seen buffered or they break the
		// handshake: the client never carries on.
		{"injected reply", "220 ready\r\n250 injected\r\n", "mx.example", "STARTTLS"},
		{"wrong name", "220 ready\r\n", "other.example", "handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serveOne(t, tlsEcho(pki, tc.reply))
			msg := expectFatal(func(tb TB) {
				c, _ := Dial(tb, a)
				c.StartTLS(pki.ClientTLSConfig(tc.serverName))
			})
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("Fatalf(%q), want %q", msg, tc.want)
			}
		})
	}
}

func TestDialFailure(t *testing.T) {
	ln, err := newLocalListener()
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	if msg := expectFatal(func(tb TB) { Dial(tb, a, ClientTimeout(time.Second)) }); !strings.Contains(msg, "smtptest: dial") {
		t.Fatalf("Fatalf(%q)", msg)
	}
}
