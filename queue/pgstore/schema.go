package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned by Open on a database whose schema a later
// release wrote: this one would misread it.
var ErrSchemaTooNew = errors.New("pgstore: database schema is newer than this release")

// migrations are the schema versions in order: migrations[i] takes the
// schema from version i to i+1. Released entries are never edited; a
// change is a new entry.
var migrations = []string{
	// 1: hubs and their leases, message records and body chunks, each row
	// tagged with the hub that owns it. IDs compare bytewise ("C"), the
	// order the queue relies on whatever the database's collation.
	`CREATE TABLE hubedge_hubs (
		name        text PRIMARY KEY,
		epoch       bigint NOT NULL,
		lease_until timestamptz NOT NULL
	);
	CREATE TABLE hubedge_messages (
		id    text COLLATE "C" PRIMARY KEY,
		owner text NOT NULL,
		rec   bytea NOT NULL
	);
	CREATE INDEX hubedge_messages_owner ON hubedge_messages (owner, id);
	CREATE TABLE hubedge_chunks (
		id    text COLLATE "C" NOT NULL,
		seq   integer NOT NULL,
		owner text NOT NULL,
		data  bytea NOT NULL,
		PRIMARY KEY (id, seq)
	);
	CREATE INDEX hubedge_chunks_owner ON hubedge_chunks (owner, id);
	-- Raise, rather than match no row, so that a write without the lease
	-- aborts the whole transaction even when it is sent in one pipeline
	-- whose results are read after the commit.
	CREATE FUNCTION hubedge_hold_lease(hub text, ep bigint) RETURNS void
	LANGUAGE plpgsql VOLATILE AS $$
	BEGIN
		PERFORM 1 FROM hubedge_hubs WHERE name = hub AND epoch = ep AND lease_until > now() FOR SHARE;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'hubedge: hub % (epoch %) does not hold its lease', hub, ep USING ERRCODE = 'HEL01';
		END IF;
	END $$;
	CREATE FUNCTION hubedge_not_owner(msg text) RETURNS bytea
	LANGUAGE plpgsql VOLATILE AS $$
	BEGIN
		RAISE EXCEPTION 'hubedge: message % belongs to another hub', msg USING ERRCODE = 'HEL02';
	END $$;`,
	// 2: administrative commands for the hub that owns a message.
	`CREATE TABLE hubedge_commands (
		seq  bigserial PRIMARY KEY,
		hub  text NOT NULL,
		id   text COLLATE "C" NOT NULL,
		cmd  text NOT NULL,
		sent timestamptz NOT NULL DEFAULT now()
	);
	CREATE INDEX hubedge_commands_hub ON hubedge_commands (hub, seq);`,
	// 3: delivery queues suspended for the whole pool, and each hub's
	// queues as it last showed them (an opaque description per queue).
	`CREATE TABLE hubedge_held_queues (
		queue text COLLATE "C" PRIMARY KEY,
		since timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE hubedge_hub_queues (
		hub   text NOT NULL,
		queue text COLLATE "C" NOT NULL,
		info  bytea NOT NULL,
		at    timestamptz NOT NULL,
		PRIMARY KEY (hub, queue)
	);`,
}

// schemaLock is the advisory lock key that serialises migrations when
// several hubs of a pool start at once ("hubedge" in ASCII).
const schemaLock = 0x68756265646765

// SchemaVersion is the schema version this release writes.
const SchemaVersion = 3

// migrate brings the schema to SchemaVersion in one transaction.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS hubedge_schema (version integer NOT NULL)"); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM hubedge_schema").Scan(&v); err != nil {
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("%w: version %d, this release knows %d", ErrSchemaTooNew, v, len(migrations))
		}
		if v == len(migrations) {
			return nil
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("pgstore: migrate schema to version %d: %w", i+1, err)
			}
		}
		_, err := tx.Exec(ctx, "DELETE FROM hubedge_schema; INSERT INTO hubedge_schema VALUES ("+fmt.Sprint(len(migrations))+")")
		return err
	})
}
