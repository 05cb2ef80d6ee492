package perms

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors; the typed errors below unwrap to them so callers can use
// errors.Is without knowing the type.
var (
	// ErrUnknownRight is wrapped by *UnknownRightError.
	ErrUnknownRight = errors.New("perms: unknown right")
	// ErrUnknownGroup is wrapped by *UnknownGroupError.
	ErrUnknownGroup = errors.New("perms: unknown permission group")
	// ErrHeaderTooLarge is wrapped by *HeaderTooLargeError.
	ErrHeaderTooLarge = errors.New("perms: header too large")
	// ErrMalformedHeader is wrapped by *HeaderError.
	ErrMalformedHeader = errors.New("perms: malformed header")
)

// UnknownRightError reports a right name that ParseRight does not know.
type UnknownRightError struct {
	Name string // the name as given
}

func (e *UnknownRightError) Error() string {
	return "perms: unknown right " + strconv.Quote(e.Name) +
		" (valid: " + strings.Join(ValidRightNames(), ", ") + ")"
}

// Unwrap returns ErrUnknownRight.
func (e *UnknownRightError) Unwrap() error { return ErrUnknownRight }

// Valid returns the names ParseRight accepts, for messages and completion.
func (e *UnknownRightError) Valid() []string { return ValidRightNames() }

// ValidRightNames returns the canonical name of every right, in bit order.
func ValidRightNames() []string { return AllRights.Names() }

// UnknownGroupError reports a permission-group name that ParseGroups does
// not know.
type UnknownGroupError struct {
	Name string // the name as given
}

func (e *UnknownGroupError) Error() string {
	return "perms: unknown permission group " + strconv.Quote(e.Name) +
		" (valid: None, " + strings.Join(groupNames[:], ", ") + ")"
}

// Unwrap returns ErrUnknownGroup.
func (e *UnknownGroupError) Unwrap() error { return ErrUnknownGroup }

// HeaderTooLargeError reports a header block longer than the firewall's
// MaxHeaderBytes. The message was not forwarded (nothing of the body was
// read), so the caller can reject it (552 5.3.4 on the wire).
type HeaderTooLargeError struct {
	Limit int // the limit in bytes that was exceeded
}

func (e *HeaderTooLargeError) Error() string {
	return "perms: header too large (limit " + strconv.Itoa(e.Limit) + " bytes)"
}

// Unwrap returns ErrHeaderTooLarge.
func (e *HeaderTooLargeError) Unwrap() error { return ErrHeaderTooLarge }

// HeaderError reports a header block that cannot be parsed: a line without
// a colon, an invalid field name, or a leading continuation line.
type HeaderError struct {
	Err error // the parser's error
}

func (e *HeaderError) Error() string { return "perms: malformed header: " + e.Err.Error() }

// Unwrap returns both ErrMalformedHeader and the parser's error.
func (e *HeaderError) Unwrap() []error { return []error{ErrMalformedHeader, e.Err} }
