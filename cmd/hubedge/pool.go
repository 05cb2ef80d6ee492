package main

import (
	"context"
	"log/slog"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// attachPool joins this hub's queue to its pool on PostgreSQL: it runs
// the commands other hubs send it, publishes its queues now and at every
// heartbeat, and gets the management API's option that shows and acts on
// the whole pool. Without -queue-postgres (s nil) there is no pool.
func attachPool(ctx context.Context, log *slog.Logger, q *queue.Queue, s *pgstore.Store) []manage.Option {
	if s == nil {
		return nil
	}
	p := pgpool.Attach(q, s)
	// At once, so the other hubs' Get-Queue lists this one before its
	// first heartbeat; a failure is only a late listing.
	if err := p.Publish(ctx); err != nil {
		log.Warn("pool: publishing this hub's queues failed; the next heartbeat tries again", "err", err)
	}
	return []manage.Option{manage.WithPool(p)}
}
