package manage

import (
	"context"
	"fmt"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
)

// hubQueue is a queue and the hub (server) it belongs to.
type hubQueue struct {
	hub  string
	info queue.QueueInfo
}

// hubMessage is a message and the hub that holds it.
type hubMessage struct {
	hub  string
	info queue.MessageInfo
}

// anyQueue stands for the queues of another hub's message, which only
// that hub knows: the message shows as Hub\*\ID.
const anyQueue = "*"

// queuesOf returns the queue keys m is listed under.
func (m hubMessage) queuesOf() []string {
	if len(m.info.Queues) == 0 {
		return []string{anyQueue}
	}
	return m.info.Queues
}

// backend is what the queue cmdlets act on: this hub's queue, or the
// pool of hubs it belongs to.
type backend interface {
	queues(ctx context.Context) ([]hubQueue, error)
	messages(ctx context.Context, f queue.Filter) ([]hubMessage, error)
	message(ctx context.Context, id queue.ID) (hubMessage, error)
	suspendQueue(ctx context.Context, hub, key string) error
	resumeQueue(ctx context.Context, hub, key string) error
	retryQueue(ctx context.Context, hub, key string) error
	suspendMessage(ctx context.Context, id queue.ID) error
	resumeMessage(ctx context.Context, id queue.ID) error
	removeMessage(ctx context.Context, id queue.ID, withNDR bool) error
}

// local is the backend of a hub on its own.
type local struct {
	hub string
	q   Queue
}

func (l local) queues(context.Context) ([]hubQueue, error) {
	qs := l.q.Queues()
	out := make([]hubQueue, len(qs))
	for i, qi := range qs {
		out[i] = hubQueue{l.hub, qi}
	}
	return out, nil
}

func (l local) messages(_ context.Context, f queue.Filter) ([]hubMessage, error) {
	ms := l.q.Messages(f)
	out := make([]hubMessage, len(ms))
	for i, m := range ms {
		out[i] = hubMessage{l.hub, m}
	}
	return out, nil
}

func (l local) message(_ context.Context, id queue.ID) (hubMessage, error) {
	m, err := l.q.Message(id)
	return hubMessage{l.hub, m}, err
}

func (l local) suspendQueue(_ context.Context, _, key string) error { return l.q.SuspendQueue(key) }
func (l local) resumeQueue(_ context.Context, _, key string) error  { return l.q.ResumeQueue(key) }
func (l local) retryQueue(_ context.Context, _, key string) error   { return l.q.RetryQueue(key) }
func (l local) suspendMessage(_ context.Context, id queue.ID) error { return l.q.SuspendMessage(id) }
func (l local) resumeMessage(_ context.Context, id queue.ID) error  { return l.q.ResumeMessage(id) }
func (l local) removeMessage(_ context.Context, id queue.ID, ndr bool) error {
	return l.q.RemoveMessage(id, ndr)
}

// pool is the backend of a hub of a pool sharing one queue in PostgreSQL.
type pool struct{ p *pgpool.Pool }

func (b pool) queues(ctx context.Context) ([]hubQueue, error) {
	qs, err := b.p.Queues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]hubQueue, len(qs))
	for i, q := range qs {
		out[i] = hubQueue{q.Hub, q.QueueInfo}
	}
	return out, nil
}

func (b pool) messages(ctx context.Context, f queue.Filter) ([]hubMessage, error) {
	ms, err := b.p.Messages(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]hubMessage, len(ms))
	for i, m := range ms {
		out[i] = hubMessage{m.Hub, m.MessageInfo}
	}
	return out, nil
}

func (b pool) message(ctx context.Context, id queue.ID) (hubMessage, error) {
	m, err := b.p.Message(ctx, id)
	return hubMessage{m.Hub, m.MessageInfo}, err
}

func (b pool) suspendQueue(ctx context.Context, hub, key string) error {
	return b.p.SuspendQueue(ctx, hub, key)
}
func (b pool) resumeQueue(ctx context.Context, hub, key string) error {
	return b.p.ResumeQueue(ctx, hub, key)
}
func (b pool) retryQueue(ctx context.Context, hub, key string) error {
	return b.p.RetryQueue(ctx, hub, key)
}
func (b pool) suspendMessage(ctx context.Context, id queue.ID) error {
	return b.p.SuspendMessage(ctx, id)
}
func (b pool) resumeMessage(ctx context.Context, id queue.ID) error {
	return b.p.ResumeMessage(ctx, id)
}
func (b pool) removeMessage(ctx context.Context, id queue.ID, ndr bool) error {
	return b.p.RemoveMessage(ctx, id, ndr)
}

// backend returns what the queue cmdlets act on, or ErrNoQueue.
func (h *Handler) backend() (backend, error) {
	switch {
	case h.pool != nil:
		return pool{h.pool}, nil
	case h.queue != nil:
		return local{h.server, h.queue}, nil
	}
	return nil, ErrNoQueue
}

// localQueue returns this hub's own queue for what only it can do
// (Export-Message, Retry-Queue -Resubmit), refusing a message or queue of
// another hub of the pool.
func (h *Handler) localQueue(hub, what string) (Queue, error) {
	if h.queue == nil {
		return nil, ErrNoQueue
	}
	if hub != h.server {
		return nil, fmt.Errorf("%w: %s is on %s: run it there", queue.ErrInvalidState, what, hub)
	}
	return h.queue, nil
}
