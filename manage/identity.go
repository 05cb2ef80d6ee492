package manage

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/hubedge/hubedge/queue"
)

// QueueIdentity is a parsed queue identity, Server\Queue. Queue is one of
// Submission, Unreachable and Poison, a delivery queue's number
// ("3"), its next-hop domain ("fabrikam.com"), or "*" for every queue.
// Server is "" when the identity named none (the local server).
type QueueIdentity struct {
	Server string
	Queue  string
}

// String prints the identity as it was given.
func (id QueueIdentity) String() string {
	if id.Server == "" {
		return id.Queue
	}
	return id.Server + `\` + id.Queue
}

// MessageIdentity is a parsed message identity, Server\Queue\MessageId;
// Queue "*" stands for every queue holding the message.
type MessageIdentity struct {
	QueueIdentity
	Message queue.ID
}

// String prints the identity as it was given.
func (id MessageIdentity) String() string {
	return id.QueueIdentity.String() + `\` + string(id.Message)
}

// maxIdentity bounds an identity's length: a server name, a next-hop domain
// and a message ID fit in far less.
const maxIdentity = 600

// ParseQueueIdentity parses "Server\Queue" or "Queue".
func ParseQueueIdentity(s string) (QueueIdentity, error) {
	parts, err := splitIdentity(s, 2)
	if err != nil {
		return QueueIdentity{}, err
	}
	if len(parts) == 1 {
		return QueueIdentity{Queue: parts[0]}, nil
	}
	return QueueIdentity{Server: parts[0], Queue: parts[1]}, nil
}

// ParseMessageIdentity parses "Server\Queue\MessageId", "Queue\MessageId"
// or a bare "MessageId" (every queue of the local server).
func ParseMessageIdentity(s string) (MessageIdentity, error) {
	parts, err := splitIdentity(s, 3)
	if err != nil {
		return MessageIdentity{}, err
	}
	var id MessageIdentity
	switch len(parts) {
	case 1:
		id.Queue = "*"
	case 2:
		id.Queue = parts[0]
	case 3:
		id.Server, id.Queue = parts[0], parts[1]
	}
	m := strings.ToUpper(parts[len(parts)-1])
	if !validMessageID(m) {
		return MessageIdentity{}, &InputError{Param: "Identity", Value: s, Msg: "the message part is not a message ID"}
	}
	id.Message = queue.ID(m)
	return id, nil
}

func splitIdentity(s string, most int) ([]string, error) {
	bad := func(msg string) error { return &InputError{Param: "Identity", Value: s, Msg: msg} }
	switch {
	case s == "":
		return nil, bad("empty identity")
	case len(s) > maxIdentity:
		return nil, bad("identity too long")
	}
	parts := strings.Split(s, `\`)
	if len(parts) > most {
		return nil, bad("too many parts")
	}
	for _, p := range parts {
		if p == "" {
			return nil, bad("empty part")
		}
		for _, r := range p {
			if r < 0x21 || r == 0x7f || r == '"' || r == '<' || r == '>' {
				return nil, bad("invalid character")
			}
		}
	}
	return parts, nil
}

// validMessageID reports whether s has the form of a queue ID: 26
// characters of Crockford base32.
func validMessageID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U'
		if !ok {
			return false
		}
	}
	return true
}

// numbering gives delivery queues the small integers administrators type
// (Server\3). A number, once given, keeps naming the same queue for the
// Handler's life, so an identity read from one listing still works in the
// next command even when queues come and go in between.
type numbering struct {
	mu     sync.Mutex
	byKey  map[string]int
	keys   []string // keys[n-1] is queue n
	server string
}

func newNumbering(server string) *numbering {
	return &numbering{byKey: map[string]int{}, server: server}
}

// special reports whether name is one of the queues every hub has of
// its own rather than a delivery queue.
func special(name string) bool {
	switch name {
	case queue.QueueSubmission, queue.QueueUnreachable, queue.QueuePoison:
		return true
	}
	return false
}

// name returns the queue-part of key's identity. In a pool a number
// names a next hop, so hub01\3 and hub02\3 are the two hubs' queues to
// the same one.
func (n *numbering) name(key string) string {
	if special(key) || key == anyQueue {
		return key
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	i, ok := n.byKey[key]
	if !ok {
		n.keys = append(n.keys, key)
		i = len(n.keys)
		n.byKey[key] = i
	}
	return strconv.Itoa(i)
}

// identity returns the full identity of hub's queue key, Server\Queue.
func (n *numbering) identity(hub, key string) string {
	return hub + `\` + n.name(key)
}

// resolve finds the queues id names among qs, those of this server when
// id names none. It fails with an *NotFoundError for a server without
// queues or a queue that does not exist, and an *InputError when a
// next-hop domain names several queues of one server.
func (n *numbering) resolve(id QueueIdentity, qs []hubQueue) ([]hubQueue, error) {
	server := id.Server
	if server == "" {
		server = n.server
	}
	var mine []hubQueue
	for _, q := range qs {
		n.name(q.info.Identity) // number every queue, also before any listing
		if strings.EqualFold(q.hub, server) {
			mine = append(mine, q)
		}
	}
	notFound := &NotFoundError{What: "queue", Identity: id.String()}
	if len(mine) == 0 {
		return nil, notFound
	}
	if id.Queue == anyQueue {
		return mine, nil
	}
	var out []hubQueue
	if i, err := strconv.Atoi(id.Queue); err == nil {
		n.mu.Lock()
		var key string
		if i >= 1 && i <= len(n.keys) {
			key = n.keys[i-1]
		}
		n.mu.Unlock()
		for _, q := range mine {
			if key != "" && q.info.Identity == key {
				return []hubQueue{q}, nil
			}
		}
		return nil, notFound
	}
	// A special queue is named even while empty, when it is not listed.
	for _, special := range []string{queue.QueueSubmission, queue.QueueUnreachable, queue.QueuePoison} {
		if strings.EqualFold(id.Queue, special) {
			return []hubQueue{{hub: mine[0].hub, info: queue.QueueInfo{Identity: special}}}, nil
		}
	}
	for _, q := range mine {
		if strings.EqualFold(q.info.NextHopDomain, id.Queue) || q.info.Identity == id.Queue {
			out = append(out, q)
		}
	}
	switch len(out) {
	case 0:
		return nil, notFound
	case 1:
		return out, nil
	}
	return nil, &InputError{Param: "Identity", Value: id.String(),
		Msg: fmt.Sprintf("next-hop domain names %d queues; use a queue number", len(out))}
}
