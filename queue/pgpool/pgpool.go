// Package pgpool is the pool-wide administration of hubs that share one
// queue in PostgreSQL (package pgstore): Get-Queue and Get-Message of the
// pool list every hub's queues and messages, Suspend-Message,
// Resume-Message and Remove-Message act on a message whichever hub owns
// it, and Suspend-Queue, Resume-Queue and Retry-Queue act on any hub's
// queue. Each hub runs its queue on its own pgstore.Store and attaches it:
//
//	s, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: "hub01"})
//	...
//	q, err := queue.OpenStore(s, opts...) // or transport.WithQueueStore(s), then t.Queue()
//	...
//	p := pgpool.Attach(q, s)
//	qs, err := p.Queues(ctx)
//	err = p.SuspendQueue(ctx, "hub02", qs[i].Identity)
//	msgs, err := p.Messages(ctx, queue.Filter{})
//	err = p.SuspendMessage(ctx, id)
//
// A delivery queue is suspended for the whole pool: the suspension is
// kept in the database and every hub honours it, one that starts later
// or adopts a dead hub's messages included. The Submission and
// Unreachable queues, and Retry-Queue, concern one hub.
//
// An action on this hub runs at once; one on another hub's message or
// queue is a command queued in the database for that hub, which runs it
// as soon as the database notifies it, or else at its next heartbeat (a
// third of its lease), or when its pool calls RunCommands. Each heartbeat,
// and each change of the pool's suspended queues, also publishes the
// hub's queues, so what Queues shows of another hub is as of then, except
// suspensions, which show at once.
package pgpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// Pool is the pool as one hub of it sees it.
type Pool struct {
	q *queue.Queue
	s *pgstore.Store
}

// The commands that travel between hubs.
const (
	cmdSuspend   = "suspend"
	cmdResume    = "resume"
	cmdRemove    = "remove"
	cmdRemoveNDR = "remove-ndr"
)

// ErrUnknownCommand is what a hub answers a command it does not know,
// sent by a later release.
var ErrUnknownCommand = errors.New("pgpool: unknown command")

// Attach makes q, opened on s, run the commands other hubs send its
// messages, and returns the pool-wide view.
func Attach(q *queue.Queue, s *pgstore.Store) *Pool {
	p := &Pool{q: q, s: s}
	s.OnCommand(p.run)
	s.OnHeartbeat(p.Publish)
	return p
}

func (p *Pool) run(id queue.ID, cmd string) error {
	if id == "" {
		return p.runHub(cmd)
	}
	switch cmd {
	case cmdSuspend:
		return p.q.SuspendMessage(id)
	case cmdResume:
		return p.q.ResumeMessage(id)
	case cmdRemove:
		return p.q.RemoveMessage(id, false)
	case cmdRemoveNDR:
		return p.q.RemoveMessage(id, true)
	}
	return fmt.Errorf("%w %q", ErrUnknownCommand, cmd)
}

// Message is a message of the pool and the hub that owns it.
type Message struct {
	Hub string
	queue.MessageInfo
}

// Messages lists the messages of every hub that match f, in arrival
// order. This hub's own come with all it knows of them; another hub's are
// described from their record as last committed (no delivery queue, no
// last connection error: see queue.DescribeRecord; the outcome of an
// attempt reaches the database with that hub's next commit).
func (p *Pool) Messages(ctx context.Context, f queue.Filter) ([]Message, error) {
	me, _ := p.s.Hub()
	var out []Message
	err := p.s.PoolRecords(ctx, func(hub string, id queue.ID, rec []byte) error {
		var mi queue.MessageInfo
		var err error
		if hub == me {
			if mi, err = p.q.Message(id); errors.Is(err, queue.ErrNotFound) {
				return nil // delivered since the listing began
			}
		} else {
			mi, err = p.q.DescribeRecord(id, rec)
		}
		if err != nil {
			return err
		}
		if f.Matches(mi) {
			out = append(out, Message{Hub: hub, MessageInfo: mi})
		}
		return nil
	})
	return out, err
}

// SuspendMessage suspends message id, whichever hub owns it.
func (p *Pool) SuspendMessage(ctx context.Context, id queue.ID) error {
	return p.act(ctx, id, cmdSuspend, p.q.SuspendMessage)
}

// ResumeMessage resumes message id (releasing it from Poison),
// whichever hub owns it.
func (p *Pool) ResumeMessage(ctx context.Context, id queue.ID) error {
	return p.act(ctx, id, cmdResume, p.q.ResumeMessage)
}

// RemoveMessage removes message id, with an NDR if withNDR, whichever
// hub owns it.
func (p *Pool) RemoveMessage(ctx context.Context, id queue.ID, withNDR bool) error {
	cmd := cmdRemove
	if withNDR {
		cmd = cmdRemoveNDR
	}
	return p.act(ctx, id, cmd, func(id queue.ID) error { return p.q.RemoveMessage(id, withNDR) })
}

// act runs local on a message of this hub, and sends cmd to the owner of
// any other.
func (p *Pool) act(ctx context.Context, id queue.ID, cmd string, local func(queue.ID) error) error {
	err := local(id)
	if !errors.Is(err, queue.ErrNotFound) {
		return err
	}
	_, err = p.s.Send(ctx, id, cmd)
	return err
}

// RunCommands runs now the commands other hubs sent this one.
func (p *Pool) RunCommands(ctx context.Context) (int, error) { return p.s.RunCommands(ctx) }

// Hub returns the name of this hub in the pool.
func (p *Pool) Hub() string {
	name, _ := p.s.Hub()
	return name
}
