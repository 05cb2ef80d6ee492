package queue

import (
	"context"
	"fmt"
	"strings"
)

// MessageRouter is a Router that sees a whole message before its
// recipients are routed: the hook of a categorizer that expands, redirects
// or drops recipients, or that runs routing agents. When the Router given
// to WithRouter implements it, the queue calls RouteMessage instead of one
// Route per recipient, on the categorizer goroutine, each time the message
// has recipients to route: on submission, after a restart and when it is
// resubmitted (Retry-Queue of Unreachable, Reroute). A recipient it
// redirected is routed again under its new address, so the call must be
// idempotent over its own changes.
//
// RouteMessage gets the pending recipients and returns one Route per
// recipient, in the same order, then a Route for each recipient it adds.
// An added recipient whose address the message already has is ignored,
// so that a call repeated after a restart does not add it twice. An error
// applies to every recipient as a Route's Err does: a permanent *Result
// fails them all, any other error defers them and the message is routed
// again after the retry interval.
type MessageRouter interface {
	Router
	RouteMessage(ctx context.Context, msg *Message, rcpts []Recipient) ([]Route, error)
}

// Route is a MessageRouter's decision for one recipient.
type Route struct {
	// Recipient is where the message goes. An address other than the one
	// given redirects the recipient; the queue keeps the original in ORCPT
	// (when it had none) for DSNs.
	Recipient Recipient
	// Hop is the recipient's next hop when Err is nil and Drop is false.
	Hop NextHop
	// Err is what a Router's Route would return: an error wrapping
	// ErrUnroutable, a *Result that fails (5xx, with a DSN as the
	// recipient's NOTIFY asks) or defers (4xx) the recipient, or another
	// error that defers it.
	Err error
	// Drop ends the recipient without delivery and without DSN (an agent
	// that dropped it without a non-delivery report).
	Drop bool
}

// resultDropped is the record of a recipient a MessageRouter dropped.
var resultDropped = Result{Code: 550, Enhanced: "5.7.1", Text: "ROUTING.Dropped; recipient dropped by the categorizer"}

// routeAll routes the recipients idxs of the message id with env (and
// header, its replaced header if any): through RouteMessage when the
// Router has it, else one Route call each. It returns at least one Route
// per index, in order, and the header RouteMessage replaced (nil: none).
func (q *Queue) routeAll(id ID, env *Envelope, header []byte, idxs []int) ([]Route, []byte) {
	rcpts := make([]Recipient, len(idxs))
	for i, idx := range idxs {
		rcpts[i] = env.Recipients[idx]
	}
	mr, ok := q.opts.router.(MessageRouter)
	if !ok || len(rcpts) == 0 {
		routes := make([]Route, len(idxs))
		for i, r := range rcpts {
			routes[i].Recipient = r
			routes[i].Hop, routes[i].Err = q.opts.router.Route(q.stopCtx, env, r)
		}
		return routes, nil
	}
	msg := &Message{ID: id, Envelope: *env, open: q.bodyOpener(id, env.Size, header)}
	routes, err := mr.RouteMessage(q.stopCtx, msg, rcpts)
	if err == nil && len(routes) < len(rcpts) {
		err = fmt.Errorf("queue: RouteMessage returned %d routes for %d recipients", len(routes), len(rcpts))
	}
	if err != nil {
		routes = make([]Route, len(rcpts))
		for i, r := range rcpts {
			routes[i] = Route{Recipient: r, Err: err}
		}
		return routes, nil
	}
	return routes, msg.replaced
}

// placeRoutesLocked applies a MessageRouter's recipient changes to m: a
// redirected recipient takes its new address, an added one joins the
// envelope as pending. It returns, for each route, the index of the
// recipient it is about (-1 for an added duplicate, to be ignored), and
// whether the envelope changed.
func (q *Queue) placeRoutesLocked(m *message, idxs []int, routes []Route) ([]int, bool) {
	at := make([]int, len(routes))
	copy(at, idxs)
	var rcpts []Recipient // copy on write: deliveries in flight hold the old slice
	edit := func() {
		if rcpts == nil {
			rcpts = append([]Recipient(nil), m.rec.Env.Recipients...)
		}
	}
	for i, idx := range idxs {
		old, r := m.rec.Env.Recipients[idx], routes[i].Recipient
		if m.rec.Rcpts[idx].Status != rcptPending || r.Address == "" || strings.EqualFold(old.Address, r.Address) {
			continue
		}
		edit()
		if r.ORCPT == "" {
			r.ORCPT = "rfc822;" + old.Address
		}
		rcpts[idx] = r
	}
	for i := len(idxs); i < len(routes); i++ {
		at[i] = -1
		addr := routes[i].Recipient.Address
		cur := m.rec.Env.Recipients
		if rcpts != nil {
			cur = rcpts
		}
		if addr == "" || hasAddress(cur, addr) {
			continue
		}
		edit()
		rcpts = append(rcpts, routes[i].Recipient)
		m.rec.Rcpts = append(m.rec.Rcpts, rcptState{})
		at[i] = len(rcpts) - 1
	}
	if rcpts == nil {
		return at, false
	}
	m.rec.Env.Recipients = rcpts
	return at, true
}

func hasAddress(rcpts []Recipient, addr string) bool {
	for _, r := range rcpts {
		if strings.EqualFold(r.Address, addr) {
			return true
		}
	}
	return false
}
