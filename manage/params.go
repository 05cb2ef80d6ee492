package manage

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubedge/hubedge/internal/suggest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tracking"
)

// params are a request's parameters, found by name without regard to case
// as PowerShell finds a cmdlet's parameters.
type params map[string]string

// maxParam bounds one parameter value; nothing an administrator types is
// longer.
const maxParam = 2048

// parseParams checks vals against the names allowed and keeps one value per
// name. An unknown name, a repeated one or an over-long value is an
// *InputError.
func parseParams(vals url.Values, allowed ...string) (params, error) {
	p := params{}
	for k, vs := range vals {
		name := ""
		for _, a := range allowed {
			if strings.EqualFold(k, a) {
				name = a
			}
		}
		if name == "" {
			msg := "unknown parameter"
			if c := suggest.Closest(k, allowed); c != "" {
				msg += " (closest: -" + c + ")"
			}
			if strings.HasPrefix(strings.TrimSpace(k), "{") {
				msg = "unknown parameter: parameters are form-encoded (Identity=HUB01%5C1), not JSON"
			}
			return nil, &InputError{Param: k, Value: firstOf(vs), Msg: msg}
		}
		if prev, dup := p[name]; dup || len(vs) != 1 {
			if dup {
				vs = append([]string{prev}, vs...)
			}
			return nil, &InputError{Param: name, Value: strings.Join(vs, ", "), Msg: "given more than once"}
		}
		if len(vs[0]) > maxParam {
			return nil, &InputError{Param: name, Value: vs[0], Msg: "value too long"}
		}
		p[name] = vs[0]
	}
	return p, nil
}

func firstOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// boolean reads a switch: absent is def; "", "true", "$true" and "1" are
// true; "false", "$false" and "0" are false.
func (p params) boolean(name string, def bool) (bool, error) {
	v, ok := p[name]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "", "true", "$true", "1":
		return true, nil
	case "false", "$false", "0":
		return false, nil
	}
	return false, &InputError{Param: name, Value: v, Msg: "not $true or $false"}
}

var queueStatuses = []queue.QueueStatus{queue.QueueActive, queue.QueueReady, queue.QueueRetry, queue.QueueSuspended}

var messageStatuses = []queue.MessageStatus{queue.MessageActive, queue.MessageReady, queue.MessageRetry,
	queue.MessageSuspended, queue.MessagePendingSuspend, queue.MessagePendingRemove}

// ParseQueueStatus reads a Get-Queue -Status value, without regard to case.
func ParseQueueStatus(s string) (queue.QueueStatus, error) {
	if st, ok := foldLookup(s, queueStatuses); ok {
		return st, nil
	}
	return "", &InputError{Param: "Status", Value: s, Msg: "not Active, Ready, Retry or Suspended"}
}

// ParseMessageStatus reads a Get-Message -Status value, without regard to
// case.
func ParseMessageStatus(s string) (queue.MessageStatus, error) {
	if st, ok := foldLookup(s, messageStatuses); ok {
		return st, nil
	}
	return "", &InputError{Param: "Status", Value: s, Msg: "not Active, Ready, Retry, Suspended, PendingSuspend or PendingRemove"}
}

// Get-MessageTrackingLog's parameters.
var trackingParams = []string{"Sender", "Recipients", "MessageId", "InternalMessageId", "EventId",
	"Source", "MessageSubject", "Reference", "Start", "End", "ResultSize"}

// maxResultSize is the most records one search returns, as the reference
// system caps -ResultSize Unlimited only by time; here memory decides.
const maxResultSize = 250000

// ParseTrackingQuery reads Get-MessageTrackingLog's parameters into a
// tracking.Query. Recipients is a comma-separated list; Start and End are
// RFC 3339 times or dates (2006-01-02); EventId and Source are one of the
// event IDs and sources package tracking defines, without regard to case; ResultSize is a
// positive number or "Unlimited" (capped at 250 000).
func ParseTrackingQuery(vals url.Values) (tracking.Query, error) {
	p, err := parseParams(vals, trackingParams...)
	if err != nil {
		return tracking.Query{}, err
	}
	q := tracking.Query{
		Sender: p["Sender"], MessageID: p["MessageId"], InternalMessageID: p["InternalMessageId"],
		MessageSubject: p["MessageSubject"], Reference: p["Reference"],
	}
	// An unknown EventId or Source would match no record and look like an
	// empty log.
	if v := p["EventId"]; v != "" {
		if q.EventID, err = oneOfNames("EventId", "an event ID", v, trackingEvents); err != nil {
			return tracking.Query{}, err
		}
	}
	if v := p["Source"]; v != "" {
		if q.Source, err = oneOfNames("Source", "a source", v, trackingSources); err != nil {
			return tracking.Query{}, err
		}
	}
	if r := p["Recipients"]; r != "" {
		for _, a := range strings.Split(r, ",") {
			if a = strings.TrimSpace(a); a != "" {
				q.Recipients = append(q.Recipients, a)
			}
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"Start", &q.Start}, {"End", &q.End}} {
		if v := p[t.name]; v != "" {
			if *t.dst, err = parseTime(t.name, v); err != nil {
				return tracking.Query{}, err
			}
		}
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
		return tracking.Query{}, &InputError{Param: "End", Value: p["End"], Msg: "before -Start"}
	}
	q.ResultSize, err = parseResultSize(p["ResultSize"])
	return q, err
}

// trackingEvents are the event IDs package tracking defines, the values
// -EventId accepts.
var trackingEvents = []tracking.EventID{tracking.Receive, tracking.Send, tracking.Deliver, tracking.Defer,
	tracking.Fail, tracking.DSN, tracking.PoisonMessage, tracking.Resubmit, tracking.Redirect,
	tracking.Expand, tracking.Resolve, tracking.Transfer, tracking.BadMail}

// trackingSources are the sources package tracking defines, the values
// -Source accepts.
var trackingSources = []tracking.Source{tracking.SourceSMTP, tracking.SourceStoreDriver, tracking.SourceQueue,
	tracking.SourceRouting, tracking.SourceDNS, tracking.SourceDSN, tracking.SourceAdmin, tracking.SourceAgent,
	tracking.SourcePickup}

// foldLookup finds v among valid without regard to case.
func foldLookup[T ~string](v string, valid []T) (T, bool) {
	for _, e := range valid {
		if strings.EqualFold(v, string(e)) {
			return e, true
		}
	}
	return "", false
}

// oneOfNames reads the value v of -param, one of valid without regard to
// case; the error lists them.
func oneOfNames[T ~string](param, what, v string, valid []T) (T, error) {
	if e, ok := foldLookup(v, valid); ok {
		return e, nil
	}
	names := make([]string, len(valid))
	for i, e := range valid {
		names[i] = string(e)
	}
	return "", &InputError{Param: param, Value: v, Msg: "not " + what + " (one of " + strings.Join(names, ", ") + ")"}
}

func parseTime(name, v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &InputError{Param: name, Value: v, Msg: "not a time (2006-01-02T15:04:05Z or 2006-01-02)"}
}

// parseResultSize reads -ResultSize: "" is the default (1000).
func parseResultSize(v string) (int, error) {
	if v == "" {
		return tracking.DefaultResultSize, nil
	}
	if strings.EqualFold(v, "Unlimited") {
		return maxResultSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxResultSize {
		return 0, &InputError{Param: "ResultSize", Value: v, Msg: "invalid: must be a positive integer up to 250000, or Unlimited"}
	}
	return n, nil
}
