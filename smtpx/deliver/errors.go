package deliver

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// Sentinel errors. Test with errors.Is; the typed errors below wrap them.
var (
	// ErrUnknownConnector: the next hop names a send connector the
	// Deliverer does not know (removed from the configuration).
	ErrUnknownConnector = errors.New("deliver: unknown send connector")
	// ErrUnknownKind: the next hop's Kind is not one of KindSmartHost,
	// KindDNS or KindRelay.
	ErrUnknownKind = errors.New("deliver: unknown next-hop kind")
	// ErrNoHosts: the next hop has nothing to dial (no smart hosts, no
	// source servers with a known address).
	ErrNoHosts = errors.New("deliver: no host to connect to")
	// ErrGreeting: the host answered the connection with something other
	// than 220.
	ErrGreeting = errors.New("deliver: host refused the session")
	// ErrTLS: STARTTLS or the TLS handshake failed.
	ErrTLS = errors.New("deliver: TLS negotiation failed")
	// ErrClosed: the Deliverer was closed.
	ErrClosed = errors.New("deliver: closed")
)

// AttemptError is the failure of one host during a delivery attempt.
type AttemptError struct {
	Host string // host name or IP literal tried
	Addr string // address dialled, "ip:port"; "" if resolution failed
	// Code and Enhanced classify the failure as an SMTP reply would
	// (a refused greeting's own code, 4.4.1 for no answer, 4.7.x for
	// a policy failure).
	Code     int
	Enhanced string
	Err      error
}

func (e *AttemptError) Error() string {
	where := e.Host
	if e.Addr != "" {
		where += " [" + e.Addr + "]"
	}
	return fmt.Sprintf("deliver: %s: %v", where, e.Err)
}

// Unwrap returns the cause (the server's *dsn.Reply, an *auth.PolicyError, a
// network error, ...).
func (e *AttemptError) Unwrap() error { return e.Err }

// Temporary reports true: every host failure is retried by the queue.
func (e *AttemptError) Temporary() bool { return true }

// HopError reports that no host of a next hop accepted a session. The queue
// treats it as a connection failure and retries the hop. Its reply follows
// the reference system's smart-host failover text:
// 451 4.4.0 Primary target IP address responded with: "…". Attempted
// failover to alternate host, but that did not succeed.
type HopError struct {
	Hop      queue.NextHop
	Attempts []*AttemptError // in the order tried; the first is the primary
	Err      error           // set when no host could be tried at all
}

func (e *HopError) Error() string {
	return fmt.Sprintf("deliver: %s: %d %s %s", e.Hop.Key(), e.Code(), e.EnhancedCode(), e.text())
}

// Reply is the hop's status as a reply: 451, EnhancedCode and the
// failover text.
func (e *HopError) Reply() dsn.Reply {
	st, _ := dsn.ParseStatus(e.EnhancedCode())
	return dsn.Reply{Code: e.Code(), Status: st, Text: e.text()}
}

// Code is 451 (RFC 5321 §4.2.3: local error, try later).
func (e *HopError) Code() int { return 451 }

// EnhancedCode is the primary host's classification when every host failed
// the same way by policy (4.7.x), else 4.4.0 as the reference system reports.
func (e *HopError) EnhancedCode() string {
	if len(e.Attempts) == 0 {
		if e.Err != nil && errors.Is(e.Err, ErrNoHosts) {
			return "4.4.4"
		}
		return "4.4.0"
	}
	first := e.Attempts[0].Enhanced
	for _, a := range e.Attempts {
		if !strings.HasPrefix(a.Enhanced, "4.7.") || a.Enhanced != first {
			return "4.4.0"
		}
	}
	return first
}

func (e *HopError) text() string {
	if len(e.Attempts) == 0 {
		if e.Err != nil {
			return e.Err.Error()
		}
		return "no host tried"
	}
	t := fmt.Sprintf("Primary target IP address responded with: %q.", e.Attempts[0].Err.Error())
	if len(e.Attempts) > 1 {
		t += fmt.Sprintf(" Attempted failover to alternate host, but that did not succeed (%d hosts tried; last: %q).",
			len(e.Attempts), e.Attempts[len(e.Attempts)-1].Err.Error())
	} else {
		t += " Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, or delivery failed to all alternate hosts."
	}
	return t
}

// Unwrap returns every attempt's error (and Err), so errors.Is finds an
// auth sentinel or a network error from any host.
func (e *HopError) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts)+1)
	for _, a := range e.Attempts {
		errs = append(errs, a)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Temporary reports true: the queue retries the hop.
func (e *HopError) Temporary() bool { return true }

// As lets errors.As find the hop's status as a *queue.Result, which is how
// the queue takes it as the recipients' last result: a DSN and Get-Queue
// then show this one status rather than a generic 4.4.0 around it.
func (e *HopError) As(target any) bool {
	p, ok := target.(**queue.Result)
	if ok {
		r := queue.ResultOf(e.Reply(), "")
		*p = &r
	}
	return ok
}

// policyStatus maps an auth policy failure to a transient 4.7.x status.
func policyStatus(err error) string {
	switch {
	case errors.Is(err, auth.ErrStartTLSRequired):
		return "4.7.10" // RFC 5248: encryption needed
	case errors.Is(err, auth.ErrCertificate), errors.Is(err, ErrTLS):
		return "4.7.5" // RFC 3463: cryptographic failure
	case errors.Is(err, auth.ErrPlaintextAuth), errors.Is(err, auth.ErrNoCommonMechanism):
		return "4.7.4" // RFC 3463: security features not supported
	}
	return "4.7.0"
}
