package manage

import (
	"errors"
	"fmt"
)

var (
	// ErrUnauthorized is returned by Client calls the API answered with 401:
	// the token (or client certificate) was missing, wrong or expired.
	ErrUnauthorized = errors.New("manage: API refused the token")
	// ErrNoQueue is returned by the queue cmdlets of a Handler made
	// without WithQueue.
	ErrNoQueue = errors.New("manage: no queue is attached to the management API")
	// ErrTrackingOff is returned when no message tracking log was given.
	ErrTrackingOff = errors.New("manage: message tracking is not enabled")
	// ErrWeakToken is returned by ReadTokenFile for a token file that is
	// empty, too short, or readable by other users.
	ErrWeakToken = errors.New("manage: unusable token file")
)

// InputError reports a parameter value the API cannot use. The API answers
// it with 400.
type InputError struct {
	Param string // the parameter's name, e.g. "Identity"
	Value string
	Msg   string
}

func (e *InputError) Error() string {
	v := e.Value
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return fmt.Sprintf("-%s %q: %s", e.Param, v, e.Msg)
}

// NotFoundError reports an identity that names nothing. The API answers it
// with 404; its text is the one administrators read, "no queue HubA\9".
type NotFoundError struct {
	What     string // "queue", "message", "connector", "accepted domain"
	Identity string
}

func (e *NotFoundError) Error() string { return "no " + e.What + " " + e.Identity }

// APIError is an error the API answered with, as a Client returns it.
type APIError struct {
	StatusCode int
	Message    string
}

func (e *APIError) Error() string { return e.Message }
