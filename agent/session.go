package agent

import (
	"net/netip"
	"sync"
)

// Session is what the receive session knows about its connection when an
// event is raised. Each event gets its own copy, so an agent that outlives
// its deadline never races with the session.
type Session struct {
	ID        string // the session's identity, as in the protocol log
	Connector string // receive connector name
	Remote    netip.AddrPort
	Local     netip.AddrPort
	HeloName  string // argument of the last HELO/EHLO
	TLS       bool
	AuthUser  string // empty while anonymous
	// Internal is set by the session for connections from the
	// organization's own servers (InternalSMTPServers, authenticated
	// partners); the anti-spam agents let them through.
	Internal bool
	// Sender is the MAIL FROM reverse path; HasSender tells the null
	// sender ("<>") from no transaction.
	Sender    string
	HasSender bool
	// Recipients are the RCPT TO addresses accepted so far in this
	// transaction.
	Recipients []string
}

// Authenticated reports whether the client has authenticated.
func (s *Session) Authenticated() bool { return s.AuthUser != "" }

// vars is per-connection agent state shared by every event of one
// connection. Agents of one connection may run concurrently only when an
// event outlived its deadline, so a mutex is enough.
type vars struct {
	mu sync.Mutex
	m  map[any]any
}

func (v *vars) get(k any) any {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[k]
}

func (v *vars) set(k, val any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[any]any)
	}
	v.m[k] = val
}

// bypassKey marks a connection whose source the connection filter
// allow-listed.
type bypassKey struct{}
