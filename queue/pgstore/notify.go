package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Commands and suspensions are rows, so nothing is lost while a hub is
// away; NOTIFY only wakes the hubs so they act at once instead of at
// their next heartbeat. A hub listens on one connection of its own
// (LISTEN holds a session, which a pooled connection cannot keep) and,
// on a notification it missed or a listener that failed, catches up at
// the next heartbeat, which also starts a new listener.
const (
	// chanCommands carries the name of the hub a command was queued for.
	chanCommands = "hubedge_commands"
	// chanHolds says the pool's suspended queues changed.
	chanHolds = "hubedge_holds"
)

// notify wakes the hubs listening on channel; a failure only delays them
// to their heartbeat, so it is not reported.
func (s *Store) notify(ctx context.Context, channel, payload string) {
	if s.cfg.NoNotify {
		return
	}
	_, _ = s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload)
}

// listen starts the listener unless one runs, the store is closing, or
// notifications are off.
func (s *Store) listen() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.NoNotify || s.listening || s.closed {
		return
	}
	s.listening = true
	s.beats.Add(1)
	go s.listener()
}

// listener runs what notifications ask for until the store closes or the
// connection fails.
func (s *Store) listener() {
	defer s.beats.Done()
	defer func() {
		s.mu.Lock()
		s.listening = false
		s.mu.Unlock()
	}()
	conn, err := pgx.ConnectConfig(s.ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease/3)
		conn.Close(ctx)
		cancel()
	}()
	if _, err := conn.Exec(s.ctx, "LISTEN "+chanCommands+"; LISTEN "+chanHolds); err != nil {
		return
	}
	// What was sent before LISTEN took effect.
	s.wake(chanCommands)
	s.wake(chanHolds)
	for {
		n, err := conn.WaitForNotification(s.ctx)
		if err != nil {
			if s.state() == nil {
				s.cfg.Logger.Warn("pgstore: listening for the pool's notifications failed; the next heartbeat listens again",
					"hub", s.cfg.Hub, "err", err)
			}
			return
		}
		if n.Channel == chanHolds || n.Payload == s.cfg.Hub {
			s.wake(n.Channel)
		}
	}
}

// wake does what a notification on channel asks of this hub.
func (s *Store) wake(channel string) {
	var err error
	switch channel {
	case chanCommands:
		_, err = s.RunCommands(s.ctx)
	case chanHolds:
		_, err = s.Holds(s.ctx)
	}
	if err != nil && s.state() == nil {
		s.cfg.Logger.Warn("pgstore: acting on a notification failed; the next heartbeat tries again", "hub", s.cfg.Hub, "channel", channel, "err", err)
	}
}
