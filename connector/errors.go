package connector

import (
	"errors"
	"fmt"
)

// Sentinel errors. Validation failures are *ConfigError values that wrap one
// of the first group; errors.Is works on either.
var (
	// ErrRequired: a parameter that the configuration needs is missing.
	ErrRequired = errors.New("connector: required parameter missing")
	// ErrConflict: two parameters cannot be used together.
	ErrConflict = errors.New("connector: conflicting parameters")
	// ErrInvalid: a parameter value is malformed or not allowed.
	ErrInvalid = errors.New("connector: invalid value")
	// ErrOutOfRange: a numeric or duration parameter is outside its range.
	ErrOutOfRange = errors.New("connector: value out of range")
	// ErrUnsupported: the reference system has it, hubedge does not.
	ErrUnsupported = errors.New("connector: not supported")
	// ErrOpenRelay: the receive connector would relay for anyone; see
	// AllowOpenRelay.
	ErrOpenRelay = errors.New("connector: receive connector would be an open relay")
	// ErrDuplicateBinding: two receive connectors share a binding and an
	// identical remote IP range, so a connection could not be attributed.
	ErrDuplicateBinding = errors.New("connector: duplicate binding and remote IP range")
	// ErrDuplicateName: two connectors of a Set have the same name.
	ErrDuplicateName = errors.New("connector: duplicate connector name")
	// ErrRangeOverlap: remote IP ranges on one binding overlap without one
	// containing the other (only nested or disjoint ranges may share one).
	ErrRangeOverlap = errors.New("connector: remote IP ranges overlap partially")

	// ErrNoConnector: no enabled receive connector accepts this connection;
	// the caller refuses it.
	ErrNoConnector = errors.New("connector: no receive connector for this connection")
)

// ConfigError reports a configuration that Build or NewSet refused. Parameter is the reference system's parameter name
// (e.g. "SmartHosts", "AuthMechanism") so administrators recognise it.
type ConfigError struct {
	Connector string // connector name
	Parameter string
	Err       error // wraps one of the sentinels above
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("connector: %q: %s: %v", e.Connector, e.Parameter, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// reason is an error with a human text that unwraps to a sentinel, so that
// ConfigError messages read naturally without repeating the package prefix.
type reason struct {
	sentinel error
	msg      string
	cause    error // the underlying error, if any (e.g. *auth.MechanismError)
}

func (r *reason) Error() string { return r.msg }

func (r *reason) Unwrap() []error {
	if r.cause == nil {
		return []error{r.sentinel}
	}
	return []error{r.sentinel, r.cause}
}

func configErr(name, param string, sentinel error, format string, args ...any) error {
	return &ConfigError{Connector: name, Parameter: param,
		Err: &reason{sentinel: sentinel, msg: fmt.Sprintf(format, args...)}}
}

// ParseError reports text that ParseIPRange, ParseBinding or ParseSmartHost
// could not parse.
type ParseError struct {
	What  string // "IP range", "binding" or "smart host"
	Input string
	Msg   string
	Err   error // underlying error (e.g. from net/netip), may be nil
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("connector: parse %s %q: %s", e.What, e.Input, e.Msg)
}

func (e *ParseError) Unwrap() error { return e.Err }
