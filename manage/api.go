package manage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// An endpoint is one cmdlet of the API, served at /api/<cmdlet>: GET for
// the Get- cmdlets and Export-Message, POST for actions. Parameters come in
// the query string or a form body, named as the cmdlet's parameters.
type endpoint struct {
	method string
	params []string
	serve  func(h *Handler, r *http.Request, p params) (any, error)
}

// Cmdlets lists the API's cmdlets, as served at /api/<cmdlet>.
var Cmdlets = []string{
	"Get-Queue", "Suspend-Queue", "Resume-Queue", "Retry-Queue",
	"Get-Message", "Suspend-Message", "Resume-Message", "Remove-Message", "Export-Message",
	"Get-MessageTrackingLog", "Get-SendConnector", "Get-ReceiveConnector", "Get-AcceptedDomain",
}

func (h *Handler) endpoints() map[string]endpoint {
	get, post := http.MethodGet, http.MethodPost
	e := map[string]endpoint{
		"get-queue":              {get, []string{"Identity", "Status", "NextHopDomain", "DeliveryType", "Exclude", "Filter"}, (*Handler).getQueue},
		"suspend-queue":          {post, []string{"Identity"}, queueAction("Suspend-Queue", backend.suspendQueue)},
		"resume-queue":           {post, []string{"Identity"}, queueAction("Resume-Queue", backend.resumeQueue)},
		"retry-queue":            {post, []string{"Identity", "Resubmit"}, (*Handler).retryQueue},
		"get-message":            {get, []string{"Identity", "Queue", "Status", "Sender", "ResultSize"}, (*Handler).getMessage},
		"suspend-message":        {post, []string{"Identity"}, messageAction("Suspend-Message", func(ctx context.Context, b backend, id queue.ID, _ params) error { return b.suspendMessage(ctx, id) })},
		"resume-message":         {post, []string{"Identity"}, messageAction("Resume-Message", func(ctx context.Context, b backend, id queue.ID, _ params) error { return b.resumeMessage(ctx, id) })},
		"remove-message":         {post, []string{"Identity", "WithNDR"}, messageAction("Remove-Message", removeMessage)},
		"export-message":         {get, []string{"Identity"}, nil}, // streams; see serveAPI
		"get-messagetrackinglog": {get, trackingParams, (*Handler).getTracking},
		"get-sendconnector":      {get, []string{"Identity"}, (*Handler).getSendConnector},
		"get-receiveconnector":   {get, []string{"Identity"}, (*Handler).getReceiveConnector},
		"get-accepteddomain":     {get, []string{"Identity"}, (*Handler).getAcceptedDomain},
	}
	return e
}

// maxForm bounds a request body: parameters only, never a message.
const maxForm = 64 << 10

func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(strings.TrimPrefix(r.URL.Path, "/api/"))
	ep, ok := h.api[name]
	if !ok {
		writeError(w, http.StatusNotFound, "no cmdlet "+strings.TrimPrefix(r.URL.Path, "/api/"))
		return
	}
	if r.Method != ep.method {
		w.Header().Set("Allow", ep.method)
		writeError(w, http.StatusMethodNotAllowed, name+" takes "+ep.method)
		return
	}
	if ct := r.Header.Get("Content-Type"); r.Method == http.MethodPost && ct != "" {
		// Go's ParseForm ignores a body of another type without an error:
		// the cmdlet would then run with no parameters at all.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			writeError(w, http.StatusUnsupportedMediaType, "parameters go in the query string or in an "+
				"application/x-www-form-urlencoded body (Identity=HUB01%5C1), not "+ct)
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "bad parameters: "+err.Error())
		return
	}
	p, err := parseParams(r.Form, ep.params...)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	if name == "export-message" {
		h.exportMessage(w, r, p)
		return
	}
	v, err := ep.serve(h, r, p)
	if err != nil {
		h.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// errorBody is the JSON of every error the API answers.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error": "encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{msg})
}

// statusOf maps an error to the status the API answers it with: bad input
// is 4xx; only a queue that is closed or cannot write is 503.
func statusOf(err error) int {
	var in *InputError
	var nf *NotFoundError
	switch {
	case errors.As(err, &in):
		return http.StatusBadRequest
	case errors.As(err, &nf), errors.Is(err, queue.ErrNotFound), errors.Is(err, ErrTrackingOff), errors.Is(err, ErrNoQueue):
		return http.StatusNotFound
	case errors.Is(err, queue.ErrInvalidState):
		return http.StatusConflict
	case errors.Is(err, queue.ErrClosed), errors.Is(err, queue.ErrStoreFailed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (h *Handler) writeErr(w http.ResponseWriter, err error) {
	code := statusOf(err)
	if code == http.StatusInternalServerError {
		h.log.Error("manage: request failed", "err", err)
	}
	writeError(w, code, err.Error())
}

func (h *Handler) getQueue(r *http.Request, p params) (any, error) {
	b, err := h.backend()
	if err != nil {
		return nil, err
	}
	f, err := parseQueueFilter(p)
	if err != nil {
		return nil, err
	}
	qs, err := b.queues(r.Context())
	if err != nil {
		return nil, err
	}
	var named map[hubQueue]bool
	if id := p["Identity"]; id != "" {
		qid, err := ParseQueueIdentity(id)
		if err != nil {
			return nil, err
		}
		found, err := h.num.resolve(qid, qs)
		if err != nil {
			return nil, err
		}
		named = map[hubQueue]bool{}
		for _, q := range found {
			named[queueRef(q)] = true
		}
	}
	out := []QueueView{}
	for _, q := range qs {
		v := h.queueView(q)
		if (named == nil || named[queueRef(q)]) && f.match(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// queueRef is what names a queue among those of a pool: its hub and key.
func queueRef(q hubQueue) hubQueue {
	return hubQueue{hub: q.hub, info: queue.QueueInfo{Identity: q.info.Identity}}
}

// queueKeys resolves a required queue Identity parameter.
func (h *Handler) queueKeys(r *http.Request, p params) (backend, []hubQueue, error) {
	id := p["Identity"]
	if id == "" {
		return nil, nil, &InputError{Param: "Identity", Msg: "required"}
	}
	b, err := h.backend()
	if err != nil {
		return nil, nil, err
	}
	qid, err := ParseQueueIdentity(id)
	if err != nil {
		return nil, nil, err
	}
	qs, err := b.queues(r.Context())
	if err != nil {
		return nil, nil, err
	}
	found, err := h.num.resolve(qid, qs)
	return b, found, err
}

// queueAction applies op to every queue the Identity names and answers the
// identities acted on.
func queueAction(cmdlet string, op func(b backend, ctx context.Context, hub, key string) error) func(*Handler, *http.Request, params) (any, error) {
	return func(h *Handler, r *http.Request, p params) (any, error) {
		b, found, err := h.queueKeys(r, p)
		if err != nil {
			return nil, err
		}
		done := []string{}
		for _, q := range found {
			id := h.num.identity(q.hub, q.info.Identity)
			if err := op(b, r.Context(), q.hub, q.info.Identity); err != nil {
				return nil, fmtQueueErr(err, id)
			}
			done = append(done, id)
		}
		h.log.Info("manage: "+cmdlet, "identity", p["Identity"])
		return done, nil
	}
}

// Resubmitter is implemented by queues that can send a delivery queue's
// messages back through routing (Retry-Queue -Resubmit). Without it only
// the Unreachable queue is resubmitted, which Retry-Queue does to it anyway.
type Resubmitter interface {
	Resubmit(identity string) (int, error)
}

func (h *Handler) retryQueue(r *http.Request, p params) (any, error) {
	resubmit, err := p.boolean("Resubmit", false)
	if err != nil {
		return nil, err
	}
	return queueAction("Retry-Queue", func(b backend, ctx context.Context, hub, key string) error {
		if key == queue.QueueSubmission || key == queue.QueuePoison {
			return fmt.Errorf("%w: only delivery queues and the Unreachable queue are retried", queue.ErrInvalidState)
		}
		if !resubmit || key == queue.QueueUnreachable {
			return b.retryQueue(ctx, hub, key)
		}
		q, err := h.localQueue(hub, "Retry-Queue -Resubmit of queue "+h.num.identity(hub, key))
		if err != nil {
			return err
		}
		rs, ok := q.(Resubmitter)
		if !ok {
			return &InputError{Param: "Resubmit", Value: "$true", Msg: "only the Unreachable queue can be resubmitted"}
		}
		_, err = rs.Resubmit(key)
		return err
	})(h, r, p)
}

// fmtQueueErr names the queue in a queue's sentinel errors.
func fmtQueueErr(err error, identity string) error {
	switch {
	case errors.Is(err, pgstore.ErrHubDown): // a pool's hub stopped since the listing
		return &NotFoundError{What: "running hub for queue", Identity: identity}
	case errors.Is(err, queue.ErrNotFound):
		return &NotFoundError{What: "queue", Identity: identity}
	case errors.Is(err, queue.ErrInvalidState):
		return &stateError{identity, err}
	}
	return err
}

type stateError struct {
	identity string
	err      error
}

func (e *stateError) Error() string { return e.identity + ": " + e.err.Error() }
func (e *stateError) Unwrap() error { return e.err }

// resolveMessage finds the message an Identity names and the queue keys of
// that identity that hold it. A message identity without a server names
// the message on whichever hub of the pool holds it.
func (h *Handler) resolveMessage(r *http.Request, s string) (backend, hubMessage, []string, error) {
	if s == "" {
		return nil, hubMessage{}, nil, &InputError{Param: "Identity", Msg: "required"}
	}
	b, err := h.backend()
	if err != nil {
		return nil, hubMessage{}, nil, err
	}
	id, err := ParseMessageIdentity(s)
	if err != nil {
		return nil, hubMessage{}, nil, err
	}
	notFound := &NotFoundError{What: "message", Identity: s}
	m, err := b.message(r.Context(), id.Message)
	if err != nil {
		if errors.Is(err, queue.ErrNotFound) {
			return nil, hubMessage{}, nil, notFound
		}
		return nil, hubMessage{}, nil, err
	}
	qid := id.QueueIdentity
	switch {
	case qid.Server == "":
		qid.Server = m.hub
	case !strings.EqualFold(qid.Server, m.hub):
		return nil, hubMessage{}, nil, notFound
	}
	held := m.queuesOf()
	if qid.Queue != anyQueue {
		qs, err := b.queues(r.Context())
		if err != nil {
			return nil, hubMessage{}, nil, err
		}
		found, err := h.num.resolve(qid, qs)
		if err != nil {
			var nf *NotFoundError
			if errors.As(err, &nf) {
				return nil, hubMessage{}, nil, notFound
			}
			return nil, hubMessage{}, nil, err
		}
		held = slices.DeleteFunc(slices.Clone(held), func(k string) bool {
			return !slices.ContainsFunc(found, func(q hubQueue) bool { return q.info.Identity == k })
		})
	}
	if len(held) == 0 {
		return nil, hubMessage{}, nil, notFound
	}
	return b, m, held, nil
}

func messageAction(cmdlet string, op func(ctx context.Context, b backend, id queue.ID, p params) error) func(*Handler, *http.Request, params) (any, error) {
	return func(h *Handler, r *http.Request, p params) (any, error) {
		b, m, _, err := h.resolveMessage(r, p["Identity"])
		if err != nil {
			return nil, err
		}
		if err := op(r.Context(), b, m.info.ID, p); err != nil {
			if errors.Is(err, queue.ErrInvalidState) {
				return nil, &stateError{p["Identity"], err}
			}
			return nil, err
		}
		h.log.Info("manage: "+cmdlet, "identity", p["Identity"])
		return []string{p["Identity"]}, nil
	}
}

func removeMessage(ctx context.Context, b backend, id queue.ID, p params) error {
	ndr, err := p.boolean("WithNDR", true)
	if err != nil {
		return err
	}
	return b.removeMessage(ctx, id, ndr)
}

func (h *Handler) getMessage(r *http.Request, p params) (any, error) {
	if p["Identity"] != "" && p["Queue"] != "" {
		return nil, &InputError{Param: "Queue", Value: p["Queue"], Msg: "cannot be combined with -Identity"}
	}
	f, err := parseMessageFilter(p)
	if err != nil {
		return nil, err
	}
	if p["Identity"] != "" {
		_, m, keys, err := h.resolveMessage(r, p["Identity"])
		if err != nil {
			return nil, err
		}
		out := []MessageView{}
		for _, k := range keys {
			if v := h.messageView(m, k); f.match(v) {
				out = append(out, v)
			}
		}
		return out, nil
	}
	b, err := h.backend()
	if err != nil {
		return nil, err
	}
	// named holds hub + "\" + key of the queues -Queue names, nil for all.
	var named map[string]bool
	if s := p["Queue"]; s != "" {
		qid, err := ParseQueueIdentity(s)
		if err != nil {
			return nil, err
		}
		qs, err := b.queues(r.Context())
		if err != nil {
			return nil, err
		}
		found, err := h.num.resolve(qid, qs)
		if err != nil {
			return nil, err
		}
		named = map[string]bool{}
		for _, q := range found {
			named[q.hub+`\`+q.info.Identity] = true
			if qid.Queue == anyQueue { // with another hub's messages, whose queues only it knows
				named[q.hub+`\`+anyQueue] = true
			}
		}
	}
	ms, err := b.messages(r.Context(), queue.Filter{Status: f.status})
	if err != nil {
		return nil, err
	}
	out := []MessageView{}
	for _, m := range ms {
		for _, k := range m.queuesOf() {
			if named != nil && !named[m.hub+`\`+k] {
				continue
			}
			if v := h.messageView(m, k); f.match(v) {
				out = append(out, v)
			}
			if len(out) == f.resultSize {
				return out, nil
			}
		}
	}
	return out, nil
}

func (h *Handler) exportMessage(w http.ResponseWriter, r *http.Request, p params) {
	_, m, _, err := h.resolveMessage(r, p["Identity"])
	if err == nil {
		// Export-Message needs a suspended message; check before the
		// first byte goes out so a refusal is still a JSON error.
		if m.info.Status != queue.MessageSuspended {
			err = &stateError{p["Identity"], fmt.Errorf("%w: only a suspended message can be exported (Suspend-Message first)", queue.ErrInvalidState)}
		}
	}
	var q Queue
	if err == nil {
		q, err = h.localQueue(m.hub, "message "+p["Identity"])
	}
	if err != nil {
		h.writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", `attachment; filename="`+string(m.info.ID)+`.eml"`)
	if err := q.Export(m.info.ID, w); err != nil {
		h.log.Error("manage: export failed", "id", m.info.ID, "err", err)
	}
}

func (h *Handler) getTracking(r *http.Request, p params) (any, error) {
	if h.tracker == nil {
		return nil, ErrTrackingOff
	}
	vals := url.Values{}
	for k, v := range p {
		vals.Set(k, v)
	}
	tq, err := ParseTrackingQuery(vals)
	if err != nil {
		return nil, err
	}
	recs, err := h.tracker.Search(r.Context(), tq)
	if err != nil {
		return nil, err
	}
	out := make([]TrackingView, len(recs))
	for i, rec := range recs {
		out[i] = trackingView(rec)
	}
	return out, nil
}

// connectorIdentity is Server\Name, as the reference system names
// connectors.
func (h *Handler) connectorIdentity(server, name string) string {
	if server == "" {
		server = h.server
	}
	return server + `\` + name
}

// matchName reports whether an Identity parameter names id: empty matches
// all; "Name" and "Server\Name" match without regard to case.
func matchName(param, id string) bool {
	if param == "" || strings.EqualFold(param, id) {
		return true
	}
	_, name, _ := strings.Cut(id, `\`)
	return strings.EqualFold(param, name)
}

func notFoundIfEmpty[T any](out []T, what, identity string) ([]T, error) {
	if identity != "" && len(out) == 0 {
		return nil, &NotFoundError{What: what, Identity: identity}
	}
	return out, nil
}

func (h *Handler) getSendConnector(_ *http.Request, p params) (any, error) {
	out := []SendConnectorView{}
	for _, c := range h.config().SendConnectors {
		v := SendConnectorView{Identity: c.Name, SendConfig: c}
		if matchName(p["Identity"], v.Identity) {
			out = append(out, v)
		}
	}
	return notFoundIfEmpty(out, "send connector", p["Identity"])
}

func (h *Handler) getReceiveConnector(_ *http.Request, p params) (any, error) {
	out := []ReceiveConnectorView{}
	for _, c := range h.config().ReceiveConnectors {
		v := ReceiveConnectorView{Identity: h.connectorIdentity(c.Server, c.Name), ReceiveConfig: c}
		if matchName(p["Identity"], v.Identity) {
			out = append(out, v)
		}
	}
	return notFoundIfEmpty(out, "receive connector", p["Identity"])
}

func (h *Handler) getAcceptedDomain(_ *http.Request, p params) (any, error) {
	out := []AcceptedDomainView{}
	for _, d := range h.config().AcceptedDomains {
		v := acceptedDomainView(d)
		// The reference shell finds an accepted domain by its name; the
		// domain is accepted too, being what an administrator remembers.
		if matchName(p["Identity"], v.Name) || matchName(p["Identity"], v.DomainName) {
			out = append(out, v)
		}
	}
	return notFoundIfEmpty(out, "accepted domain", p["Identity"])
}
