package smtptest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// DefaultClientTimeout bounds dialing and each read or write of a Client
// unless the ClientTimeout option says otherwise.
const DefaultClientTimeout = 30 * time.Second

// ErrUnexpectedReply is wrapped by the *StepError Expect returns.
var ErrUnexpectedReply = errors.New("smtptest: unexpected reply")

// ClientOption configures Dial.
type ClientOption interface{ applyClient(*clientOptions) }

type clientOptions struct{ timeout time.Duration }

type clientOptionFunc func(*clientOptions)

func (f clientOptionFunc) applyClient(o *clientOptions) { f(o) }

// ClientTimeout bounds dialing and every single read or write (a whole reply,
// a whole message body) of the Client; DefaultClientTimeout by default.
// A read that runs out of time reads as "EOF" and Err reports the
// timeout, so no test can hang on a silent server.
func ClientTimeout(d time.Duration) ClientOption {
	return clientOptionFunc(func(o *clientOptions) { o.timeout = d })
}

// Client is a raw SMTP client for tests that need what net/smtp or
// go-smtp's client refuse to say: pipelined commands, smuggled commands,
// bare LF, oversized lines, a body abandoned half-way, or a look at how
// the server ends the connection. It does not parse capabilities or
// track state; it writes what it is told and reads replies.
//
// Replies are returned as one string, "code text", the text lines of a
// multi-line reply joined by "\n" without their codes, enhanced status
// codes left in, for example "250 mx.example\nPIPELINING\nSIZE
// 10240000": the reply grammar smtpx/deliver reads (wire.ReadReplyText).
// A reply that cannot be read (the server closed or reset the
// connection, a read timed out, or the bytes are not a reply) reads as
// "EOF"; Err says which.
//
// A Client is not safe for concurrent use.
type Client struct {
	t       TB
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	err     error
}

// Dial connects to addr, registers Close with t.Cleanup and returns the
// client with the server's greeting (see Client for the reply format).
// It calls t.Fatalf if the connection cannot be made.
func Dial(t TB, addr string, opts ...ClientOption) (*Client, string) {
	t.Helper()
	o := clientOptions{timeout: DefaultClientTimeout}
	for _, opt := range opts {
		opt.applyClient(&o)
	}
	conn, err := net.DialTimeout("tcp", addr, o.timeout)
	if err != nil {
		t.Fatalf("smtptest: dial %s: %v", addr, err)
		return nil, ""
	}
	c := &Client{t: t, timeout: o.timeout}
	c.setConn(conn)
	t.Cleanup(func() { _ = c.Close() })
	return c, c.ReadReply()
}

func (c *Client) setConn(conn net.Conn) {
	c.conn, c.br, c.bw = conn, bufio.NewReader(conn), bufio.NewWriter(conn)
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Err returns the error behind the last "EOF" reply, failed write or
// Wait that did not see data: io.EOF, a reset, a timeout (a net.Error
// whose Timeout is true), or an error wrapping wire's ErrBadReply or
// ErrLineTooLong for bytes that are not a reply.
func (c *Client) Err() error { return c.err }

// ReadReply reads one reply, waiting at most the client's timeout.
func (c *Client) ReadReply() string {
	_ = c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	code, msg, err := wire.ReadReplyText(c.br)
	if err != nil {
		c.err = err
		return "EOF"
	}
	return strconv.Itoa(code) + " " + msg
}

// Write writes p as it is, without reading anything: use it for bytes
// whose answer comes later (a body left half-written) or never.
func (c *Client) Write(p []byte) (int, error) {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.bw.Write(p)
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// Send writes s byte for byte (no CRLF is added, bare LF stays bare) and
// reads one reply; several pipelined commands get their first reply, the
// others are left for ReadReply. A failed write reads as "EOF".
func (c *Client) Send(s string) string {
	if _, err := c.Write([]byte(s)); err != nil {
		return "EOF"
	}
	return c.ReadReply()
}

// Cmd sends line followed by CRLF and reads the reply.
func (c *Client) Cmd(line string) string { return c.Send(line + "\r\n") }

// Data sends DATA and, if the server answers 354, the message with
// WriteBody, returning the final reply; any other answer to DATA is
// returned as it is.
func (c *Client) Data(msg string) string {
	if got := c.Cmd("DATA"); !strings.HasPrefix(got, "354") {
		return got
	}
	if err := c.WriteBody(msg); err != nil {
		return "EOF"
	}
	return c.ReadReply()
}

// WriteBody writes msg as a DATA body, without reading the reply: lines
// starting with "." are dot-stuffed, a bare LF is written as CRLF, a
// missing final CRLF is added and the body ends with ".\r\n" (RFC 5321
// section 4.5.2). Use Write for a body that must reach the server byte
// for byte or not end.
func (c *Client) WriteBody(msg string) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	var w wire.DotWriter
	w.Reset(c.bw)
	_, err := io.WriteString(&w, msg)
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		c.err = err
	}
	return err
}

// StartTLS sends STARTTLS and, on a 220, runs the TLS handshake with cfg
// (RFC 3207); later commands and replies go through TLS. It calls
// t.Fatalf on any other reply, on a failed handshake, and when the
// server sent anything after its 220 before the handshake: such bytes
// would be read as if they had come through TLS (response injection,
// CVE-2011-0411 class).
func (c *Client) StartTLS(cfg *tls.Config) {
	c.t.Helper()
	if got := c.Cmd("STARTTLS"); !strings.HasPrefix(got, "220") {
		c.t.Fatalf("smtptest: STARTTLS: %s", got)
		return
	}
	if n := c.br.Buffered(); n > 0 {
		c.t.Fatalf("smtptest: STARTTLS: %d plaintext bytes after the 220", n)
		return
	}
	tc := tls.Client(c.conn, cfg)
	_ = tc.SetDeadline(time.Now().Add(c.timeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("smtptest: STARTTLS handshake: %v", err)
		return
	}
	c.setConn(tc)
}

// ConnectionState reports the TLS state after StartTLS; ok is false on
// a plaintext connection.
func (c *Client) ConnectionState() (state tls.ConnectionState, ok bool) {
	if tc, isTLS := c.conn.(*tls.Conn); isTLS {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}
