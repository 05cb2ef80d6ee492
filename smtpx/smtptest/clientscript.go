package smtptest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ConnState is what Wait saw on the connection.
type ConnState int

const (
	// StateData: the server sent bytes. They stay buffered for the next
	// ReadReply, so nothing is lost by looking.
	StateData ConnState = iota + 1
	// StateTimeout: nothing arrived within the wait. The connection may
	// be open and idle, or closed by a server that has not said so yet.
	StateTimeout
	// StateClosed: the read ended in EOF or another error than a
	// timeout, typically a reset: the server closed the connection.
	StateClosed
)

func (s ConnState) String() string {
	switch s {
	case StateData:
		return "data"
	case StateTimeout:
		return "timeout"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("ConnState(%d)", int(s))
}

// Wait watches the connection for at most d without consuming anything
// and reports the first of: bytes to read (already buffered, or
// arriving), the end of the connection, or the end of the wait. Err
// gives the error behind StateClosed and StateTimeout.
//
// Three questions a test may ask read differently:
//
//	c.Wait(5*time.Second) == StateClosed // closed, with nothing unread before
//	c.Closed(5*time.Second)              // closed, whatever it sent first
//	c.Wait(5*time.Second) != StateData   // nothing more, closed or silent
//
// The last also holds for a server that keeps the connection open and
// silent, so it proves least.
func (c *Client) Wait(d time.Duration) ConnState {
	if c.br.Buffered() > 0 {
		return StateData
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	_, err := c.br.Peek(1)
	switch {
	case err == nil:
		return StateData
	case isTimeout(err):
		c.err = err
		return StateTimeout
	default:
		c.err = err
		return StateClosed
	}
}

// Closed reports whether the server ends the connection within d. It
// reads and discards whatever the server still sends, replies not read
// yet included (go-smtp, for one, may repeat a reply before it hangs
// up), until EOF or a reset (true) or until d passes (false: the server
// is silent, or still talking). Err gives the error that ended the read.
func (c *Client) Closed(d time.Duration) bool {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c.br)
	if err == nil { // io.Copy reports EOF as success
		err = io.EOF
	}
	c.err = err
	return !isTimeout(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Step is one exchange of an Expect script, {send, want}: send is
// written and the reply must begin with want ("EOF" matches a
// connection that ended, see Client). send is a command line, sent with
// Cmd, unless it starts with
//
//	"DATA:" the rest is a message, sent with Data (DATA, the body, the dot);
//	"RAW:"  the rest is written byte for byte with Send.
type Step [2]string

// StepError is the first step of an Expect script whose reply did not
// match; it wraps ErrUnexpectedReply.
type StepError struct {
	Index int    // position of the step in the script
	Step  Step   // the step
	Got   string // the reply read
}

func (e *StepError) Error() string {
	return fmt.Sprintf("smtptest: step %d %.80q: got %q, want prefix %q", e.Index, e.Step[0], e.Got, e.Step[1])
}

func (e *StepError) Unwrap() error { return ErrUnexpectedReply }

// Expect runs the steps in order and stops at the first reply that does
// not begin with its step's want, returning it as a *StepError; nil
// means every step got its reply. The caller picks Fatal or Error.
func (c *Client) Expect(steps ...Step) error {
	for i, s := range steps {
		var got string
		if msg, ok := strings.CutPrefix(s[0], "DATA:"); ok {
			got = c.Data(msg)
		} else if b, ok := strings.CutPrefix(s[0], "RAW:"); ok {
			got = c.Send(b)
		} else {
			got = c.Cmd(s[0])
		}
		if !strings.HasPrefix(got, s[1]) {
			return &StepError{Index: i, Step: s, Got: got}
		}
	}
	return nil
}
