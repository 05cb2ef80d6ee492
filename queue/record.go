package queue

import (
	"encoding/json"
	"fmt"
	"time"
)

// recordVersion is bumped when the persisted layout changes incompatibly.
const recordVersion = 1

// rcptStatus is a recipient's delivery state.
type rcptStatus uint8

const (
	rcptPending rcptStatus = iota
	rcptDelivered
	rcptFailed
)

// rcptState is the persisted state of one recipient.
type rcptState struct {
	Status rcptStatus `json:"s,omitempty"`
	// Attempts counts delivery attempts that reached a verdict.
	Attempts int `json:"n,omitempty"`
	// Next is the earliest time of the next attempt.
	Next time.Time `json:"next,omitzero"`
	Last *Result   `json:"last,omitempty"`
}

// record is what the store keeps per message. Routing decisions are not
// kept: recipients are routed again after a restart, so configuration
// changes made while the process was down apply.
type record struct {
	V     int         `json:"v"`
	Env   Envelope    `json:"env"`
	Rcpts []rcptState `json:"rs"`
	// Suspended by an administrator; Poison after repeated crashes.
	Suspended bool `json:"susp,omitempty"`
	Poison    bool `json:"poison,omitempty"`
	// InFlight is set, durably, before each delivery attempt and cleared
	// after it; finding it set on open means the process died during the
	// attempt, which counts as a crash.
	InFlight  bool `json:"inflight,omitempty"`
	Crashes   int  `json:"crashes,omitempty"`
	DelaySent bool `json:"delay,omitempty"`
	// Header, when set, is served in place of the stored body's header
	// (Message.ReplaceHeader): the fields and the empty line after them.
	Header []byte `json:"hdr,omitempty"`
}

func (r *record) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// Every field is a plain value; failure is a programming error.
		panic("queue: encode record: " + err.Error())
	}
	return b
}

// RecordError reports a stored message record that cannot be decoded:
// corrupt, or written by another version of the package. Open fails with
// it rather than skip the message, and leaves the store untouched (the
// record and its body stay for an administrator or a newer version).
type RecordError struct {
	ID  ID
	Err error
}

func (e *RecordError) Error() string { return "queue: record " + string(e.ID) + ": " + e.Err.Error() }

func (e *RecordError) Unwrap() error { return e.Err }

func decodeRecord(id ID, b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &RecordError{ID: id, Err: err}
	}
	if r.V != recordVersion {
		return nil, &RecordError{ID: id, Err: fmt.Errorf("unsupported version %d (this version reads %d)", r.V, recordVersion)}
	}
	if len(r.Rcpts) != len(r.Env.Recipients) {
		return nil, &RecordError{ID: id, Err: fmt.Errorf("%d recipient states for %d recipients", len(r.Rcpts), len(r.Env.Recipients))}
	}
	return &r, nil
}

// pending reports whether any recipient is still undecided.
func (r *record) pending() bool {
	for _, s := range r.Rcpts {
		if s.Status == rcptPending {
			return true
		}
	}
	return false
}
