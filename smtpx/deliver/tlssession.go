package deliver

import "crypto/tls"

// DefaultTLSSessionCacheSize is how many TLS sessions a Deliverer keeps for
// resumption: one per next hop and host name (or address), so a few
// hundred hops fit with room to spare.
const DefaultTLSSessionCacheSize = 1024

// WithTLSSessionCache sets how many TLS sessions (TLS 1.3 tickets, TLS 1.2
// tickets) issued by next hops are kept, so that a new connection to a hop
// that issued one resumes: the server skips its certificate and signature,
// and this side skips parsing and checking the chain (the policy's checks
// still run, on the certificates the session recorded). Default
// DefaultTLSSessionCacheSize; 0 or less turns resumption off.
func WithTLSSessionCache(size int) Option {
	return funcOption(func(o *options) { o.tlsSessions = max(size, 0) })
}

// hopSessions is the session cache as one next hop sees it: the standard
// library keys sessions by server name (or address), and the hop key in
// front keeps connectors apart, since each has its own client certificate
// and TLS policy and must never resume a session another one negotiated.
// It is made for one handshake, and remembers the key it was asked for so
// that a session whose use failed can be dropped.
type hopSessions struct {
	prefix string
	c      tls.ClientSessionCache
	key    string // the last key looked up
}

func (h *hopSessions) Get(key string) (*tls.ClientSessionState, bool) {
	h.key = key
	return h.c.Get(h.prefix + key)
}

func (h *hopSessions) Put(key string, cs *tls.ClientSessionState) { h.c.Put(h.prefix+key, cs) }

// forget drops the session of the last lookup. A handshake or policy check
// that fails on a resumed session (a certificate no longer matching the
// host's TLSA records, say) must not fail again on every retry for the
// ticket's lifetime: the next attempt makes a full handshake.
func (h *hopSessions) forget() {
	if h != nil && h.key != "" {
		h.c.Put(h.prefix+h.key, nil) // nil removes the entry
	}
}

// sessionCacheFor is a cache for one handshake toward hop key, or nil when
// resumption is off.
func (d *Deliverer) sessionCacheFor(hopKey string) *hopSessions {
	if d.tlsSessions == nil {
		return nil
	}
	return &hopSessions{prefix: hopKey + "\x00", c: d.tlsSessions}
}
