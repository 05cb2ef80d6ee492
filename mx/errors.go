package mx

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hubedge/hubedge/dsn"
)

// Sentinel errors. Lookups return them wrapped in a *PermanentError (or, for
// ErrServerFailure and ErrCNAMEChain, a *TemporaryError); test with errors.Is.
var (
	// ErrNullMX: the domain publishes a null MX (RFC 7505): it accepts no mail.
	ErrNullMX = errors.New("mx: domain accepts no mail (null MX)")
	// ErrNoSuchDomain: the name does not exist (NXDOMAIN, RFC 1035 §4.1.1).
	ErrNoSuchDomain = errors.New("mx: no such domain")
	// ErrLoop: this server is the best mail exchanger for the domain, so
	// delivering would send the mail back to ourselves (RFC 5321 §5.1).
	ErrLoop = errors.New("mx: mail for domain loops back to myself")
	// ErrNoAddress: the domain or its mail exchangers exist but have no
	// A/AAAA records, so there is nowhere to connect to.
	ErrNoAddress = errors.New("mx: no address for mail host")
	// ErrServerFailure: a DNS server answered SERVFAIL, REFUSED or another
	// error rcode (transient).
	ErrServerFailure = errors.New("mx: DNS server failure")
	// ErrCNAMEChain: a CNAME chain loops or is longer than the configured
	// depth (transient, see TemporaryError).
	ErrCNAMEChain = errors.New("mx: CNAME chain loops or is too long")
	// ErrUntrustedServer: WithTrustAD was given a server that is not on a
	// loopback address, whose AD bit an attacker on the path could forge.
	ErrUntrustedServer = errors.New("mx: AD bit trusted only from a loopback resolver")
	// ErrInvalidName: a domain or host name is not a valid DNS name.
	ErrInvalidName = errors.New("mx: invalid name")
)

// PermanentError is a definitive lookup result that retrying will not change:
// it wraps ErrNullMX, ErrNoSuchDomain, ErrLoop, ErrNoAddress or ErrInvalidName.
type PermanentError struct {
	Name string // the domain or host name looked up
	Err  error  // one of the sentinels above, possibly wrapped
}

func (e *PermanentError) Error() string {
	var pe *ParseError
	if errors.As(e.Err, &pe) { // already names the input
		return e.Err.Error()
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Name)
}

// Unwrap returns the sentinel.
func (e *PermanentError) Unwrap() error { return e.Err }

// Temporary reports false: the queue must not retry.
func (e *PermanentError) Temporary() bool { return false }

// Reply is the SMTP reply a delivery layer reports for this failure (see
// the function Reply), with the error as its text.
func (e *PermanentError) Reply() dsn.Reply {
	r := dsn.Reply{Text: e.Error()}
	switch {
	case errors.Is(e.Err, ErrNullMX):
		r.Code, r.Status = 556, dsn.Status{Class: 5, Subject: 1, Detail: 10} // RFC 7505 §4.2
	case errors.Is(e.Err, ErrLoop):
		r.Code, r.Status = 554, dsn.Status{Class: 5, Subject: 4, Detail: 6} // RFC 3463 X.4.6 routing loop detected
	case errors.Is(e.Err, ErrNoAddress):
		r.Code, r.Status = 554, dsn.Status{Class: 5, Subject: 4, Detail: 4} // RFC 3463 X.4.4 unable to route
	default: // ErrNoSuchDomain, ErrInvalidName
		r.Code, r.Status = 550, dsn.Status{Class: 5, Subject: 1, Detail: 2} // RFC 3463 X.1.2 bad destination system address
	}
	return r
}

// TemporaryError is a DNS failure worth retrying later: a SERVFAIL or other
// error rcode from every server, a timeout, a network error, a broken CNAME
// chain, or the caller's context ending. Err says which (errors.Is with
// ErrServerFailure, ErrCNAMEChain, context.Canceled, ...).
type TemporaryError struct {
	Name   string // the name whose query failed
	Type   string // the query type, e.g. "MX" or "AAAA"
	Server string // the last server tried, host:port; empty if none was reached
	Err    error
}

func (e *TemporaryError) Error() string {
	s := "mx: temporary failure looking up " + e.Type + " for " + e.Name
	if e.Server != "" {
		s += " at " + e.Server
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *TemporaryError) Unwrap() error { return e.Err }

// Temporary reports true: the queue should retry later.
func (e *TemporaryError) Temporary() bool { return true }

// Reply is 451 (RFC 5321 §4.2.3, local error in processing) with 4.4.3,
// RFC 3463 X.4.3 "Directory server failure": the code for an unavailable
// directory (DNS) server, transient by definition. Its text is the error.
func (e *TemporaryError) Reply() dsn.Reply {
	return dsn.Reply{Code: 451, Status: dsn.Status{Class: 4, Subject: 4, Detail: 3}, Text: e.Error()}
}

// ParseError reports a malformed domain, host name or server address.
type ParseError struct {
	Kind  string // "domain" or "server"
	Input string
	Msg   string
	Err   error // underlying cause (an idna error), or nil
}

func (e *ParseError) Error() string {
	s := "mx: invalid " + e.Kind + " " + strconv.Quote(e.Input) + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidName) true for any ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidName }

// statusError is what Reply looks for.
type statusError interface {
	Reply() dsn.Reply
	Temporary() bool
}

// Reply returns the SMTP reply (code, RFC 3463 enhanced status code and
// the error as its text) and whether the failure is permanent, for an
// error from LookupMX or LookupHost:
//
//	ErrNullMX        556 5.1.10 permanent (RFC 7505 §4.2)
//	ErrNoSuchDomain  550 5.1.2  permanent (NXDOMAIN; also invalid names)
//	ErrLoop          554 5.4.6  permanent (RFC 5321 §5.1 loop)
//	ErrNoAddress     554 5.4.4  permanent (no A/AAAA anywhere)
//	*TemporaryError  451 4.4.3  transient (SERVFAIL, timeout, network, CNAME)
//
// Any other non-nil error is reported as 451 4.4.0 transient, so an
// unexpected failure defers rather than bounces. Reply(nil) is the zero
// Reply and false.
func Reply(err error) (r dsn.Reply, permanent bool) {
	if err == nil {
		return dsn.Reply{}, false
	}
	var se statusError
	if errors.As(err, &se) {
		return se.Reply(), !se.Temporary()
	}
	return dsn.Reply{Code: 451, Status: dsn.Status{Class: 4, Subject: 4}, Text: err.Error()}, false
}

// Status is Reply's code and enhanced code, the latter as text.
//
// Deprecated: use Reply; Status remains while its callers move to it.
func Status(err error) (code int, enhanced string, permanent bool) {
	r, permanent := Reply(err)
	return r.Code, r.Enhanced(), permanent
}
