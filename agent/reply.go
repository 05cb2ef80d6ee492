package agent

import (
	"errors"
	"strconv"
)

// Reply is an SMTP reply an agent gives instead of letting the command
// proceed. Return it (or an error wrapping it) from an event method.
type Reply struct {
	Code     int    // 421, 451, 550, 554, ...
	Enhanced string // RFC 3463 status such as "5.7.1"; may be empty
	Text     string
	// Disconnect asks the session to close the connection after writing
	// the reply.
	Disconnect bool
}

// Reject returns a permanent (5xx) reply.
func Reject(code int, enhanced, text string) *Reply {
	return &Reply{Code: code, Enhanced: enhanced, Text: text}
}

// Defer returns a temporary 451 reply.
func Defer(enhanced, text string) *Reply {
	return &Reply{Code: 451, Enhanced: enhanced, Text: text}
}

// Temporary reports whether the reply is a 4xx.
func (r *Reply) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// String returns the reply as it goes on the wire, without CRLF:
// "550 5.7.1 text".
func (r *Reply) String() string {
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	if r.Text != "" {
		s += " " + r.Text
	}
	return s
}

// Error makes a Reply usable as the error an agent returns.
func (r *Reply) Error() string { return "agent: " + r.String() }

// AsReply returns the Reply err is or wraps, or nil.
func AsReply(err error) *Reply {
	var r *Reply
	if errors.As(err, &r) {
		return r
	}
	return nil
}

// failReply is what a failed (slow, erroring or panicking) fail-closed
// agent answers.
func failReply() *Reply {
	return Defer("4.7.0", "Temporary server error. Please try again later")
}
