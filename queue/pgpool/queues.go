package pgpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// Queue is a queue of a hub of the pool. This hub's own are described as
// they are now; another hub's as that hub last published them
// (Published), except that a delivery queue suspended for the pool shows
// Suspended at once.
type Queue struct {
	Hub string
	queue.QueueInfo
	// Published is when the hub described the queue; zero for this hub's
	// own, which are live.
	Published time.Time
}

// Commands about a hub's own queues, sent with SendHub and followed by
// the queue's identity.
const (
	cmdSuspendQueue = "suspend-queue"
	cmdResumeQueue  = "resume-queue"
	cmdRetryQueue   = "retry-queue"
)

// Queues lists the queues of every hub of the pool, ordered by hub and
// identity: the Submission, Unreachable and Poison queues of each hub and
// each hub's delivery queues. It reads the pool's suspended queues
// afresh, so this hub's own queues follow a suspension made elsewhere at
// once.
func (p *Pool) Queues(ctx context.Context) ([]Queue, error) {
	held, err := p.s.Holds(ctx)
	if err != nil {
		return nil, err
	}
	me, _ := p.s.Hub()
	var out []Queue
	for _, qi := range p.q.Queues() {
		out = append(out, Queue{Hub: me, QueueInfo: qi})
	}
	err = p.s.PoolQueues(ctx, func(hub, identity string, info []byte, at time.Time) error {
		if hub == me {
			return nil
		}
		var qi queue.QueueInfo
		if err := json.Unmarshal(info, &qi); err != nil {
			return fmt.Errorf("pgpool: queue %s of hub %s: %w", identity, hub, err)
		}
		if delivery(identity) && slices.Contains(held, identity) {
			qi.Status = queue.QueueSuspended
		}
		out = append(out, Queue{Hub: hub, QueueInfo: qi, Published: at})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A suspended next hop no hub has a queue for any more (its messages
	// left by expiry or removal) is still listed, so it can be resumed.
	for _, id := range held {
		if !slices.ContainsFunc(out, func(q Queue) bool { return q.Identity == id }) {
			out = append(out, Queue{Hub: me, QueueInfo: heldQueue(id)})
		}
	}
	slices.SortFunc(out, func(a, b Queue) int {
		if c := strings.Compare(a.Hub, b.Hub); c != 0 {
			return c
		}
		return strings.Compare(a.Identity, b.Identity)
	})
	return out, nil
}

// heldQueue describes a suspended delivery queue from its identity alone.
func heldQueue(identity string) queue.QueueInfo {
	qi := queue.QueueInfo{Identity: identity, Status: queue.QueueSuspended}
	if parts := strings.SplitN(identity, ":", 3); len(parts) == 3 {
		qi.DeliveryType, qi.NextHopConnector, qi.NextHopDomain = parts[0], parts[1], parts[2]
	}
	return qi
}

// Publish writes this hub's queues where the other hubs' Queues read
// them. The heartbeat calls it (Attach arranges that); call it after a
// change the pool should see before then.
func (p *Pool) Publish(ctx context.Context) error {
	qs := p.q.Queues()
	infos := make(map[string][]byte, len(qs))
	for _, qi := range qs {
		b, err := json.Marshal(qi)
		if err != nil {
			return fmt.Errorf("pgpool: %w", err)
		}
		infos[qi.Identity] = b
	}
	return p.s.PublishQueues(ctx, infos)
}

// delivery reports whether identity names a delivery queue rather than
// one of the special queues every hub has of its own.
func delivery(identity string) bool {
	switch identity {
	case queue.QueueSubmission, queue.QueueUnreachable, queue.QueuePoison:
		return false
	}
	return true
}

// SuspendQueue suspends queue identity of hub. A delivery queue is
// suspended for the whole pool: every hub stops starting deliveries to
// that next hop (attempts in flight finish), including hubs that start
// later or adopt the messages of one that died, until ResumeQueue. The
// Submission and Unreachable queues are each hub's own: the command goes
// to hub.
func (p *Pool) SuspendQueue(ctx context.Context, hub, identity string) error {
	return p.queueAction(ctx, hub, identity, true, cmdSuspendQueue, p.q.SuspendQueue)
}

// ResumeQueue resumes queue identity of hub: a delivery queue in every
// hub of the pool, a special queue in hub.
func (p *Pool) ResumeQueue(ctx context.Context, hub, identity string) error {
	return p.queueAction(ctx, hub, identity, false, cmdResumeQueue, p.q.ResumeQueue)
}

func (p *Pool) queueAction(ctx context.Context, hub, identity string, on bool, cmd string, local func(string) error) error {
	switch {
	case identity == queue.QueuePoison:
		return fmt.Errorf("%w: the Poison queue cannot be suspended or resumed; resume its messages", queue.ErrInvalidState)
	case delivery(identity):
		if _, err := p.find(ctx, hub, identity); err != nil {
			return err
		}
		return p.s.HoldQueue(ctx, identity, on)
	}
	return p.toHub(ctx, hub, cmd+" "+identity, func() error { return local(identity) })
}

// RetryQueue makes queue identity of hub, a delivery queue in Retry or
// the Unreachable queue, try now (see queue.Queue.RetryQueue). Another
// hub's queue is retried by that hub when the command reaches it; whether
// it is in Retry is judged from what it last published.
func (p *Pool) RetryQueue(ctx context.Context, hub, identity string) error {
	if identity == queue.QueueSubmission || identity == queue.QueuePoison {
		return fmt.Errorf("%w: only delivery queues and the Unreachable queue are retried", queue.ErrInvalidState)
	}
	me, _ := p.s.Hub()
	if hub != me && delivery(identity) {
		qi, err := p.find(ctx, hub, identity)
		if err != nil {
			return err
		}
		if qi.Status != queue.QueueRetry && qi.NextRetryTime.IsZero() {
			return fmt.Errorf("%w: queue %q of %s is not in Retry", queue.ErrInvalidState, identity, hub)
		}
	}
	return p.toHub(ctx, hub, cmdRetryQueue+" "+identity, func() error { return p.q.RetryQueue(identity) })
}

// find returns hub's queue identity as the pool lists it.
func (p *Pool) find(ctx context.Context, hub, identity string) (Queue, error) {
	qs, err := p.Queues(ctx)
	if err != nil {
		return Queue{}, err
	}
	for _, q := range qs {
		if q.Hub == hub && q.Identity == identity {
			return q, nil
		}
	}
	return Queue{}, fmt.Errorf("%w: queue %q of hub %s", queue.ErrNotFound, identity, hub)
}

// toHub runs local if hub is this one, and otherwise sends cmd to hub.
func (p *Pool) toHub(ctx context.Context, hub, cmd string, local func() error) error {
	if me, _ := p.s.Hub(); hub == me {
		return local()
	}
	return p.s.SendHub(ctx, hub, cmd)
}

// runHub runs a command another hub sent about this hub's own queues.
func (p *Pool) runHub(cmd string) error {
	verb, identity, _ := strings.Cut(cmd, " ")
	switch verb {
	case cmdSuspendQueue:
		return p.q.SuspendQueue(identity)
	case cmdResumeQueue:
		return p.q.ResumeQueue(identity)
	case cmdRetryQueue:
		return p.q.RetryQueue(identity)
	}
	return fmt.Errorf("%w %q", ErrUnknownCommand, cmd)
}

// Message describes message id, whichever hub owns it (see Messages for
// what is known of another hub's message).
func (p *Pool) Message(ctx context.Context, id queue.ID) (Message, error) {
	me, _ := p.s.Hub()
	mi, err := p.q.Message(id)
	if err == nil {
		return Message{Hub: me, MessageInfo: mi}, nil
	}
	if !errors.Is(err, queue.ErrNotFound) {
		return Message{}, err
	}
	hub, rec, err := p.s.PoolRecord(ctx, id)
	if err != nil {
		return Message{}, err
	}
	if hub == me { // delivered or removed between the two looks
		return Message{}, fmt.Errorf("%w: message %s", queue.ErrNotFound, id)
	}
	mi, err = p.q.DescribeRecord(id, rec)
	return Message{Hub: hub, MessageInfo: mi}, err
}
