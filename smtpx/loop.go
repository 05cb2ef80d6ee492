package smtpx

import (
	"bytes"
	"container/list"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

// DefaultLoopTransits is how many times a Server accepts the same
// message before it refuses it as a routing loop (WithLoopDetection): the
// reference system breaks a routing loop after 20 iterations.
const DefaultLoopTransits = 20

// loopWindow is how long a message's transits are remembered; a loop
// goes round in seconds, a legitimate resend of an identical message
// comes rarely, and the queue's expiry (2 days by default) outlasts it.
const loopWindow = 24 * time.Hour

// loopEntries bounds the messages remembered (about 100 bytes each); the
// least recently seen is forgotten first, so a loop (seen again and again)
// stays remembered while one-off messages make room.
const loopEntries = 1 << 16

// loopGuard counts how often the same message has passed through this
// server. Hop counting needs the Received fields, which a send
// connector strips for a peer without Send-Headers-Routing; a message
// that keeps coming back is recognised without them, by a digest of what
// no relay changes: the envelope sender and recipients and the
// originator's Message-ID, Date, From and Subject fields.
type loopGuard struct {
	limit int // 0: off

	mu      sync.Mutex
	entries map[uint64]*list.Element // of *loopEntry
	lru     list.List                // most recently seen first
}

type loopEntry struct {
	key   uint64
	count int
	first time.Time
}

func newLoopGuard(limit int) *loopGuard {
	return &loopGuard{limit: limit, entries: map[uint64]*list.Element{}}
}

// loopSeed keys the digests: random per process, so that nobody outside
// can craft a message that counts as another one.
var loopSeed = maphash.MakeSeed()

// looped reports whether the message with these identity fields and this
// envelope has already passed through limit times within loopWindow, and
// the key transit counts it under. Only passes count: an attempt that is
// refused or cut short before the message is queued is no transit, so a
// client retrying a message it could not hand over is never taken for a
// loop.
func (g *loopGuard) looped(ident *identity, env *queue.Envelope, now time.Time) (key uint64, looped bool) {
	if g == nil || g.limit <= 0 {
		return 0, false
	}
	key = g.key(ident, env)
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.entries[key]; ok {
		e := el.Value.(*loopEntry)
		return key, now.Sub(e.first) <= loopWindow && e.count >= g.limit
	}
	return key, false
}

// transit counts one more pass of the message looped named key: the
// server has queued it.
func (g *loopGuard) transit(key uint64, now time.Time) {
	if g == nil || g.limit <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if el, ok := g.entries[key]; ok {
		e := el.Value.(*loopEntry)
		if now.Sub(e.first) <= loopWindow {
			e.count++
			g.lru.MoveToFront(el)
			return
		}
		g.lru.Remove(el)
		delete(g.entries, key)
	}
	if g.lru.Len() >= loopEntries {
		old := g.lru.Back()
		g.lru.Remove(old)
		delete(g.entries, old.Value.(*loopEntry).key)
	}
	g.entries[key] = g.lru.PushFront(&loopEntry{key: key, count: 1, first: now})
}

// key digests the envelope (recipients in any order) and the identity
// fields.
func (g *loopGuard) key(ident *identity, env *queue.Envelope) uint64 {
	var h maphash.Hash
	h.SetSeed(loopSeed)
	_, _ = h.WriteString(strings.ToLower(env.From))
	var rcpts uint64
	for _, r := range env.Recipients {
		rcpts += maphash.String(loopSeed, strings.ToLower(r.Address))
	}
	var b [8]byte
	for i := range b {
		b[i] = byte(rcpts >> (8 * i))
	}
	_, _ = h.Write(b[:])
	for _, v := range ident {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		_, _ = h.Write(b[:])
	}
	return h.Sum64()
}

// identityFields are the originator fields a relay never changes
// (RFC 5322 §3.6); identity holds a digest of each as the header scan
// meets it.
var identityFields = [...]string{"Message-ID", "Date", "From", "Subject"}

type identity [len(identityFields)]uint64

// see adds a kept header field to the digest when it is an identity field.
func (id *identity) see(f perms.Field) {
	for i, k := range identityFields {
		if f.NameIs(k) {
			id[i] = id[i]*31 + maphash.Bytes(loopSeed, bytes.TrimSpace(f.Value)) + 1
			return
		}
	}
}
