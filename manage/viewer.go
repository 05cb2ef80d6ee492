package manage

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed viewer.html
var viewerHTML string

var viewerTmpl = template.Must(template.New("viewer").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"join": strings.Join,
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"q": url.QueryEscape,
	// known reports whether a message's queue identity names one queue:
	// not Hub\*, another hub's message whose queue only that hub knows.
	"known": func(queue string) bool { return !strings.HasSuffix(queue, `\`+anyQueue) },
}).Parse(viewerHTML))

// page is what every Queue Viewer template gets.
type page struct {
	Server   string
	Title    string
	Refresh  int // seconds; 0 for none
	CSRF     string
	Error    string
	Queues   []QueueView
	Queue    *QueueView
	Messages []MessageView
	Note     string // about Messages
	Message  *MessageView
	Tracking []TrackingView
	Query    map[string]string
	Searched bool
	Search   bool // show the tracking search form
	Login    bool
}

func (h *Handler) viewerMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.pageQueues)
	mux.HandleFunc("GET /queue", h.pageQueue)
	mux.HandleFunc("GET /message", h.pageMessage)
	mux.HandleFunc("GET /export", h.pageExport)
	mux.HandleFunc("GET /tracking", h.pageTracking)
	mux.HandleFunc("POST /action", h.pageAction)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		h.render(w, http.StatusOK, page{Title: "Sign in", Login: true})
	})
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	return mux
}

func (h *Handler) render(w http.ResponseWriter, code int, p page) {
	p.Server = h.server
	var buf bytes.Buffer
	if err := viewerTmpl.Execute(&buf, p); err != nil {
		h.log.Error("manage: rendering page", "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// viewer wraps a page handler: no session, the login form and 401.
func (h *Handler) viewer(w http.ResponseWriter, r *http.Request) (session, bool) {
	s, ok := h.session(w, r)
	if !ok {
		h.render(w, http.StatusUnauthorized, page{Title: "Sign in", Login: true})
	}
	return s, ok
}

func (h *Handler) refreshSeconds() int { return int(h.refresh / time.Second) }

// pageError renders err on the page with the status the API would answer.
func (h *Handler) pageError(w http.ResponseWriter, s session, err error) {
	h.render(w, statusOf(err), page{Title: "Error", CSRF: s.csrf, Error: err.Error()})
}

func (h *Handler) pageQueues(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	p := page{Title: "Queues", Refresh: h.refreshSeconds(), CSRF: s.csrf, Queues: []QueueView{}}
	if b, err := h.backend(); err == nil {
		qs, err := b.queues(r.Context())
		if err != nil {
			h.pageError(w, s, err)
			return
		}
		for _, q := range qs {
			p.Queues = append(p.Queues, h.queueView(q))
		}
	}
	h.render(w, http.StatusOK, p)
}

func (h *Handler) pageQueue(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	id := r.URL.Query().Get("Identity")
	if id == "" {
		h.pageError(w, s, &InputError{Param: "Identity", Msg: "required"})
		return
	}
	qs, err := h.getQueue(r, params{"Identity": id})
	if err == nil && len(qs.([]QueueView)) != 1 {
		err = &InputError{Param: "Identity", Value: id, Msg: "names more than one queue"}
	}
	if err != nil {
		h.pageError(w, s, err)
		return
	}
	q := qs.([]QueueView)[0]
	ms, err := h.getMessage(r, params{"Queue": q.Identity})
	if err != nil {
		h.pageError(w, s, err)
		return
	}
	p := page{Title: "Queue " + q.Identity, Refresh: h.refreshSeconds(), CSRF: s.csrf, Queue: &q, Messages: ms.([]MessageView)}
	if hub, name, _ := strings.Cut(q.Identity, `\`); h.pool != nil && hub != h.server && !special(name) {
		// Which of its messages another hub's delivery queue holds only
		// that hub knows: show them all.
		all, err := h.getMessage(r, params{"Queue": hub + `\` + anyQueue})
		if err != nil {
			h.pageError(w, s, err)
			return
		}
		p.Messages = nil
		for _, m := range all.([]MessageView) {
			if m.Queue == hub+`\`+anyQueue {
				p.Messages = append(p.Messages, m)
			}
		}
		p.Note = "Only " + hub + " knows which of its messages are in this queue: these are all its messages awaiting delivery."
	}
	h.render(w, http.StatusOK, p)
}

func (h *Handler) pageMessage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	ms, err := h.getMessage(r, params{"Identity": r.URL.Query().Get("Identity")})
	if err != nil {
		h.pageError(w, s, err)
		return
	}
	m := ms.([]MessageView)[0]
	h.render(w, http.StatusOK, page{Title: "Message " + m.Identity, Refresh: h.refreshSeconds(), CSRF: s.csrf, Message: &m})
}

func (h *Handler) pageExport(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.viewer(w, r); !ok {
		return
	}
	h.exportMessage(w, r, params{"Identity": r.URL.Query().Get("Identity")})
}

func (h *Handler) pageTracking(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	p := page{Title: "Message tracking", CSRF: s.csrf, Query: map[string]string{}, Search: true}
	vals := url.Values{}
	for _, k := range []string{"Sender", "Recipients", "MessageId", "EventId", "Start", "End"} {
		if v := r.URL.Query().Get(k); v != "" {
			vals.Set(k, v)
			p.Query[k] = v
		}
	}
	if len(vals) > 0 {
		p.Searched = true
		res, err := h.getTracking(r, paramsOf(vals))
		if err != nil {
			p.Error = err.Error()
			h.render(w, statusOf(err), p)
			return
		}
		p.Tracking = res.([]TrackingView)
	}
	h.render(w, http.StatusOK, p)
}

func paramsOf(vals url.Values) params {
	p := params{}
	for k := range vals {
		p[k] = vals.Get(k)
	}
	return p
}

// sameOrigin refuses a cross-site POST that carries an Origin header; the
// CSRF token is the main guard, the SameSite cookie and this the backups.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// viewerActions are the cmdlets the Queue Viewer's buttons run.
var viewerActions = map[string]bool{
	"suspend-queue": true, "resume-queue": true, "retry-queue": true,
	"suspend-message": true, "resume-message": true, "remove-message": true,
}

func (h *Handler) pageAction(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !csrfOK(s, r.PostForm.Get("csrf")) {
		h.render(w, http.StatusForbidden, page{Title: "Refused", CSRF: s.csrf, Error: "the form is stale or came from another site; reload the page and try again"})
		return
	}
	action := strings.ToLower(r.PostForm.Get("action"))
	if !viewerActions[action] {
		h.pageError(w, s, &InputError{Param: "action", Value: r.PostForm.Get("action"), Msg: "unknown action"})
		return
	}
	p := params{"Identity": r.PostForm.Get("Identity")}
	if v := r.PostForm.Get("WithNDR"); v != "" && action == "remove-message" {
		p["WithNDR"] = v
	}
	if _, err := h.api[action].serve(h, r, p); err != nil {
		h.pageError(w, s, err)
		return
	}
	next := "/queue?Identity=" + url.QueryEscape(p["Identity"])
	switch action {
	case "suspend-message", "resume-message":
		next = "/message?Identity=" + url.QueryEscape(p["Identity"])
	case "remove-message":
		next = "/"
		if id, err := ParseMessageIdentity(p["Identity"]); err == nil && id.Queue != "*" {
			next = "/queue?Identity=" + url.QueryEscape(id.QueueIdentity.String())
		}
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !h.tokenOK(r.PostForm.Get("token")) {
		h.log.Warn("manage: Queue Viewer login refused", "remote", r.RemoteAddr)
		h.render(w, http.StatusUnauthorized, page{Title: "Sign in", Login: true, Error: "the API refused the token"})
		return
	}
	h.startSession(w, r)
	h.log.Info("manage: Queue Viewer login", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := h.viewer(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || !csrfOK(s, r.PostForm.Get("csrf")) {
		h.render(w, http.StatusForbidden, page{Title: "Refused", CSRF: s.csrf, Error: "the form is stale; reload the page"})
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
