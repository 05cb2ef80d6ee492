package dsn

import (
	"errors"
	"strconv"
)

var (
	// ErrNotDSN is wrapped by Parse errors when the message is not a
	// multipart/report carrying a delivery-status part.
	ErrNotDSN = errors.New("dsn: not a delivery status notification")
	// ErrNullSender is returned by Write when the notification would be
	// addressed to the null reverse-path; RFC 3461 §6.2 and RFC 5321 §4.5.5
	// forbid notifications about notifications.
	ErrNullSender = errors.New("dsn: no notification to the null sender")
	// ErrInvalid is wrapped by Write errors caused by an incomplete or
	// malformed Notification.
	ErrInvalid = errors.New("dsn: invalid notification")
)

// maxErrInput bounds how much offending input a ParseError quotes.
const maxErrInput = 64

// ParseError reports malformed input to one of the parsers. Kind names what
// was being parsed ("notify", "ret", "xtext", "orcpt", "envid", "status",
// "delivery-status", "message"), Input the offending text (shortened).
type ParseError struct {
	Kind  string
	Input string
	Msg   string
	Err   error // underlying cause, if any
}

func newParseError(kind, input, msg string) *ParseError {
	if len(input) > maxErrInput {
		input = input[:maxErrInput] + "…"
	}
	return &ParseError{Kind: kind, Input: input, Msg: msg}
}

func (e *ParseError) Error() string {
	s := "dsn: parse " + e.Kind
	if e.Input != "" {
		s += " " + strconv.Quote(e.Input)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }
