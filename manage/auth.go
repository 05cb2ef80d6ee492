package manage

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// MinTokenLength is the shortest token ReadTokenFile accepts.
const MinTokenLength = 16

// ReadTokenFile reads a bearer token from path: the file's content without
// surrounding white space. It fails with ErrWeakToken when the token is
// shorter than MinTokenLength or the file can be read by its group or by
// others (a token is a password).
func ReadTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("manage: token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s has mode %v; chmod 600 it", ErrWeakToken, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("manage: token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < MinTokenLength {
		return "", fmt.Errorf("%w: %s holds fewer than %d characters", ErrWeakToken, path, MinTokenLength)
	}
	return tok, nil
}

// tokenHash hashes a token so that comparisons take the same time whatever
// its length.
func tokenHash(tok string) []byte {
	if tok == "" {
		return nil
	}
	s := sha256.Sum256([]byte(tok))
	return s[:]
}

func (h *Handler) tokenOK(tok string) bool {
	if h.token == nil || tok == "" {
		return false
	}
	return subtle.ConstantTimeCompare(tokenHash(tok), h.token) == 1
}

func (h *Handler) certOK(r *http.Request) bool {
	if h.certAuth == nil || r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return false
	}
	return h.certAuth(r.TLS.VerifiedChains[0][0])
}

// authenticated reports whether r carries a valid bearer token or a verified
// client certificate.
func (h *Handler) authenticated(r *http.Request) bool {
	if h.certOK(r) {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && h.tokenOK(strings.TrimSpace(tok))
}

// Queue Viewer sessions: the token is typed once into the login form and
// exchanged for a random session cookie; each session has its own CSRF
// token, which every action form carries.
const (
	sessionCookie = "hubedge_session"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1000
)

type session struct {
	csrf    string
	expires time.Time
}

type sessions struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns its cookie value.
func (s *sessions) create() (id string, sess session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m {
		if !now.Before(v.expires) || len(s.m) >= maxSessions {
			delete(s.m, k)
		}
	}
	id = randomToken()
	sess = session{csrf: randomToken(), expires: now.Add(sessionTTL)}
	s.m[id] = sess
	return id, sess
}

func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if ok && !s.now().Before(v.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return v, ok
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// session returns r's Queue Viewer session. A request with a verified client
// certificate but no session gets one, so that its forms have a CSRF token.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) (session, bool) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, ok := h.sessions.get(c.Value); ok {
			return s, true
		}
	}
	if h.certOK(r) {
		return h.startSession(w, r), true
	}
	return session{}, false
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request) session {
	id, s := h.sessions.create()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionTTL / time.Second),
	})
	return s
}

func csrfOK(s session, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
