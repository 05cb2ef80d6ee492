package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/jackc/pgx/v5"
)

// The administrative state the hubs of a pool share besides messages:
// delivery queues suspended for the whole pool, each hub's queues as it
// last showed them, and commands addressed to a hub rather than about a
// message. All of it lives in tables, so a hub that was down or cut off
// when it changed catches up at its next heartbeat (notify.go wakes the
// hubs sooner).

// WatchHolds calls fn with the identities of the delivery queues
// suspended for the whole pool, at once and then whenever this store
// learns that the set changed: at a notification, at each heartbeat, and
// when HoldQueue or Holds is called on it (storage.QueueHolder).
func (s *Store) WatchHolds(fn func(identities []string)) {
	s.holdsMu.Lock()
	defer s.holdsMu.Unlock()
	s.mu.Lock()
	s.watch = fn
	held := s.held
	s.mu.Unlock()
	fn(slices.Clone(held))
}

// HoldQueue suspends (on) or resumes the delivery queue identity, a
// NextHop key, for every hub of the pool: the queue of each hub that
// delivers to that next hop now, later, or after adopting another hub's
// messages. This hub's queue follows before HoldQueue returns; the others
// as soon as a notification reaches them, or at their next heartbeat.
// Suspending a queue that no hub has yet is allowed: it is born
// suspended.
func (s *Store) HoldQueue(ctx context.Context, identity string, on bool) error {
	if err := s.state(); err != nil {
		return err
	}
	var err error
	if on {
		_, err = s.pool.Exec(ctx, `INSERT INTO hubedge_held_queues (queue) VALUES ($1) ON CONFLICT DO NOTHING`, identity)
	} else {
		_, err = s.pool.Exec(ctx, `DELETE FROM hubedge_held_queues WHERE queue = $1`, identity)
	}
	if err != nil {
		return s.failed(err)
	}
	s.notify(ctx, chanHolds, "")
	_, err = s.Holds(ctx)
	return err
}

// Holds reads the delivery queues suspended for the pool, in identity
// order, and passes the set on to the function given to WatchHolds if it
// changed.
func (s *Store) Holds(ctx context.Context) ([]string, error) {
	if err := s.state(); err != nil {
		return nil, err
	}
	s.holdsMu.Lock()
	defer s.holdsMu.Unlock()
	held, err := readHolds(ctx, s.pool)
	if err != nil {
		return nil, s.failed(err)
	}
	s.mu.Lock()
	fn, beat, changed := s.watch, s.beat, !slices.Equal(held, s.held)
	s.held = held
	s.mu.Unlock()
	if changed {
		if fn != nil {
			fn(slices.Clone(held))
		}
		// The hub's queues changed status: let the pool see it now.
		if beat != nil {
			if err := beat(ctx); err != nil {
				s.cfg.Logger.Warn("pgstore: heartbeat work after a change of suspended queues failed", "hub", s.cfg.Hub, "err", err)
			}
		}
	}
	return held, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readHolds(ctx context.Context, db querier) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT queue FROM hubedge_held_queues ORDER BY queue`)
	if err != nil {
		return nil, err
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if held == nil {
		held = []string{}
	}
	return held, err
}

// PublishQueues replaces what the pool shows of this hub's queues with
// queues, a description of each by identity, whose encoding is the
// caller's (package pgpool writes JSON). Only the registration holding
// the lease publishes: an older process under the hub's name cannot
// overwrite the newer one's queues.
func (s *Store) PublishQueues(ctx context.Context, queues map[string][]byte) error {
	if err := s.state(); err != nil {
		return err
	}
	ids := make([]string, 0, len(queues))
	infos := make([][]byte, 0, len(queues))
	for id, info := range queues {
		ids = append(ids, id)
		infos = append(infos, info)
	}
	ep := s.currentEpoch()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, holdLease, s.cfg.Hub, ep); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hubedge_hub_queues WHERE hub = $1`, s.cfg.Hub); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO hubedge_hub_queues (hub, queue, info, at)
			SELECT $1, q, i, now() FROM unnest($2::text[], $3::bytea[]) AS t(q, i)`, s.cfg.Hub, ids, infos)
		return err
	})
	if err != nil {
		return s.writeFailed(err, ep)
	}
	return nil
}

// PoolQueues calls fn for every queue the hubs of the pool last published,
// in order of hub and identity, with the time it was published. A hub
// whose messages another hub adopted is no longer listed.
func (s *Store) PoolQueues(ctx context.Context, fn func(hub, identity string, info []byte, at time.Time) error) error {
	if err := s.state(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT hub, queue, info, at FROM hubedge_hub_queues ORDER BY hub, queue`)
	if err != nil {
		return s.failed(err)
	}
	defer rows.Close()
	var hub, id string
	var info []byte
	var at time.Time
	for rows.Next() {
		if err := rows.Scan(&hub, &id, &info, &at); err != nil {
			return s.failed(err)
		}
		if err := fn(hub, id, info, at); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

// ErrHubDown is returned (wrapped with storage.ErrNotFound) by SendHub for
// a hub that is not in the pool or whose lease has run out: nobody would
// run the command.
var ErrHubDown = errors.New("pgstore: hub not running in the pool")

// SendHub queues command cmd for hub, which runs it as it runs the
// commands of Send;
// the function given to OnCommand gets it with an empty message ID. It is
// for what concerns the hub itself, such as one of its queues: if the hub
// dies first, the command is dropped with its lease, not passed to the
// hub that adopts its messages.
func (s *Store) SendHub(ctx context.Context, hub, cmd string) error {
	if err := s.state(); err != nil {
		return err
	}
	var to string
	err := s.pool.QueryRow(ctx, `INSERT INTO hubedge_commands (hub, id, cmd)
		SELECT name, '', $2 FROM hubedge_hubs WHERE name = $1 AND lease_until > now() RETURNING hub`, hub, cmd).Scan(&to)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w: %s", storage.ErrNotFound, ErrHubDown, hub)
	}
	if err != nil {
		return s.failed(err)
	}
	s.notify(ctx, chanCommands, to)
	return nil
}

// OnHeartbeat sets a function each heartbeat calls, after renewing the
// lease, adopting and running commands, and that Holds calls when the
// pool's suspended queues changed (this hub's queues changed status with
// them): package pgpool publishes the hub's queues with it.
func (s *Store) OnHeartbeat(fn func(ctx context.Context) error) {
	s.mu.Lock()
	s.beat = fn
	s.mu.Unlock()
}

// PoolRecord returns the hub that owns message id and its record as last
// committed; it fails with storage.ErrNotFound when no hub has it.
func (s *Store) PoolRecord(ctx context.Context, id storage.ID) (hub string, rec []byte, err error) {
	if err := s.state(); err != nil {
		return "", nil, err
	}
	err = s.pool.QueryRow(ctx, `SELECT owner, rec FROM hubedge_messages WHERE id = $1`, string(id)).Scan(&hub, &rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, fmt.Errorf("%w: message %s", storage.ErrNotFound, id)
	}
	if err != nil {
		return "", nil, s.failed(err)
	}
	return hub, rec, nil
}
