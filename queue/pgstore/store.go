package pgstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLeaseLost is returned by the writes of a store whose hub does not
// hold its lease: its heartbeat lapsed past the lease (the database was
// out of reach for that long, the process stalled), or another process
// registered under the same hub name. Other hubs may own its messages by
// now, so it writes nothing until its next heartbeat registers it again
// under a new epoch; from then on it writes what is still its own, and a
// write about a message adopted meanwhile fails with storage.ErrNotOwned
// (the queue drops that message). A hub whose name another process took
// stays fenced off for good. It comes wrapped with storage.ErrStoreFailed,
// or with storage.ErrNotOwned.
var ErrLeaseLost = errors.New("pgstore: lease lost")

// DefaultLease is the lease a hub holds on its messages when Config.Lease
// is zero: another hub adopts them this long after its last heartbeat.
const DefaultLease = 30 * time.Second

// Config says where the pool's queue lives and which hub this is.
type Config struct {
	// DSN is the PostgreSQL connection string, keyword/value or URL, as
	// pgx reads it ("host=db1 dbname=hubedge user=hub").
	DSN string
	// Hub names this hub in its pool: unique among the hubs, and the same
	// across restarts so a restarted hub takes back its own messages.
	Hub string
	// Lease is how long the hub's claim on its messages outlives its last
	// heartbeat; heartbeats go every third of it. Zero means DefaultLease.
	Lease time.Duration
	// Clock times the heartbeats; nil means the wall clock. Leases
	// themselves are measured by the database's clock, which every hub
	// of the pool shares.
	Clock storage.Clock
	// Logger receives heartbeat and takeover failures; nil means
	// slog.Default().
	Logger *slog.Logger
	// NoNotify turns off the notifications (LISTEN/NOTIFY) that make a
	// hub run the commands other hubs send it, and follow a queue they
	// suspend or resume, at once: it then does both at its heartbeat.
	// Set it behind a connection pooler that does not keep sessions
	// (PgBouncer in transaction mode), where LISTEN does not work.
	NoNotify bool
	// CommitObserver, if set, is called after each transaction Apply
	// committed, by the goroutine that applied it (so it must return at
	// once: a metric update), with the number of message records the
	// transaction wrote or deleted (body chunks not counted, as walstore
	// counts them) and the time from sending its statements on a pooled
	// connection to the server's confirmation of its commit. That time
	// holds the statements' execution, the network round trip and, since
	// synchronous_commit is on, the server's WAL flush of the commit and
	// any synchronous standby's confirmation: the durable flush bounded
	// from above, not the flush alone, which only the server can time.
	// Nil: Apply does not read the clock.
	CommitObserver func(records int, commit time.Duration)
}

// Store is a storage.Store on PostgreSQL shared by a pool of hubs. It is
// safe for concurrent use.
type Store struct {
	cfg   Config
	pool  *pgxpool.Pool
	epoch int64

	ctx    context.Context // ends at Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	lease  leaseState
	timer  storage.Timer
	adopt  func(storage.ID, []byte) error
	run    func(storage.ID, string) error
	beat   func(context.Context) error
	beats  sync.WaitGroup
	// held are the delivery queues suspended for the pool as last read,
	// watch the queue's function that applies them; holdsMu orders the
	// reads and calls, so an older set never overwrites a newer one.
	holdsMu sync.Mutex
	held    []string
	watch   func([]string)
	// cmdMu keeps a notification and a heartbeat from running the same
	// commands at once; listening says a listener runs.
	cmdMu     sync.Mutex
	listening bool
	// renewing serialises Renew, so two renewals never register twice
	// from one epoch (the second would take the first for a rival).
	renewing sync.Mutex
	// owned holds the messages this registration owns, as far as its
	// own writes and takeovers tell; lost those another hub adopted
	// while its lease had lapsed. A write about a lost message fails
	// with ErrNotOwned even when the message is gone from the database,
	// where putting its record would bring a delivered message back.
	owned, lost map[storage.ID]struct{}

	commits, records atomic.Uint64
}

// Open connects to the database, creates or migrates the schema,
// registers cfg.Hub with a new epoch (fencing off any earlier process
// of that name) and starts its heartbeat.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Hub == "" {
		return nil, errors.New("pgstore: Config.Hub is empty: every hub of a pool needs a name of its own")
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Lease < 3*time.Millisecond {
		return nil, fmt.Errorf("pgstore: lease %v too short", cfg.Lease)
	}
	if cfg.Clock == nil {
		cfg.Clock = storage.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, dsnError(cfg.DSN, err)
	}
	// A commit returns only once PostgreSQL has flushed it (and, with
	// synchronous standbys configured, once they have): the queue
	// acknowledges messages on that return.
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pc.ConnConfig.RuntimeParams["application_name"] = "hubedge " + cfg.Hub
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("%w: pgstore: %w", storage.ErrStoreFailed, err)
	}
	s := &Store{cfg: cfg, pool: pool, owned: map[storage.ID]struct{}{}, lost: map[storage.ID]struct{}{}}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: %w", storage.ErrStoreFailed, err)
	}
	err = pool.QueryRow(ctx, `INSERT INTO hubedge_hubs (name, epoch, lease_until)
		VALUES ($1, 1, now() + $2 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE SET epoch = hubedge_hubs.epoch + 1, lease_until = excluded.lease_until
		RETURNING epoch`, cfg.Hub, cfg.Lease.Milliseconds()).Scan(&s.epoch)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: pgstore: register hub: %w", storage.ErrStoreFailed, err)
	}
	if s.held, err = readHolds(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w: pgstore: read suspended queues: %w", storage.ErrStoreFailed, err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.timer = cfg.Clock.AfterFunc(cfg.Lease/3, s.heartbeat)
	s.mu.Unlock()
	s.listen()
	return s, nil
}

// leaseState says whether the hub may write.
type leaseState uint8

const (
	leaseHeld    leaseState = iota
	leaseExpired            // found lapsed; the next heartbeat registers again
	leaseTaken              // another process registered under the name
)

// DSNError is a DSN that does not parse, when the DSN may hold a
// password. pgx masks the password in the string its error quotes only as
// far as it could parse that string, and its messages may quote a piece
// of it ("missing = after ..."), so then the error says what is wrong in
// general terms and quotes nothing; Unwrap gives pgx's error.
type DSNError struct{ err error }

func (e *DSNError) Error() string {
	return "pgstore: the DSN does not parse as key=value pairs or as a postgres:// URL " +
		"(not shown, as it holds a password; check its quoting)"
}

func (e *DSNError) Unwrap() error { return e.err }

// dsnError is err, the parse error of dsn, in a form safe to print.
func dsnError(dsn string, err error) error {
	lower := strings.ToLower(dsn)
	if strings.Contains(lower, "password") || strings.Contains(dsn, "://") && strings.Contains(dsn, "@") {
		return &DSNError{err: err}
	}
	return fmt.Errorf("pgstore: %w", err)
}

// String names the database and this hub for the server's start log line:
// host, port and database from the DSN, never its user or password.
func (s *Store) String() string {
	cc := s.pool.Config().ConnConfig
	return fmt.Sprintf("PostgreSQL %s:%d/%s, hub %s", cc.Host, cc.Port, cc.Database, s.cfg.Hub)
}

// Hub returns the hub's name and its epoch, the registration number that
// fences off earlier registrations of the same name.
func (s *Store) Hub() (name string, epoch int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Hub, s.epoch
}

func (s *Store) currentEpoch() int64 {
	_, ep := s.Hub()
	return ep
}

// Stats counts what Apply committed.
type Stats struct {
	// Commits is the number of transactions Apply committed.
	Commits uint64
	// Records is the number of message records they wrote; Records /
	// Commits is the mean number of messages per commit of an enqueue
	// load.
	Records uint64
}

// Stats returns the counts since Open.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Records: s.records.Load()}
}

func (s *Store) state() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return storage.ErrClosed
	case s.lease != leaseHeld:
		return fmt.Errorf("%w: %w", storage.ErrStoreFailed, ErrLeaseLost)
	}
	return nil
}

// failed wraps a database error: the write is not known to be durable.
// A database that did not answer in time is a store failure, not the
// caller's deadline, so the context error is not passed on to be matched.
func (s *Store) failed(err error) error {
	if cerr := s.state(); cerr != nil {
		return cerr
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: pgstore: no answer from the database within %v: %v", storage.ErrStoreFailed, s.cfg.Lease, err)
	}
	return fmt.Errorf("%w: pgstore: %w", storage.ErrStoreFailed, err)
}

// loseLease notes that a write under epoch ep found the lease lapsed;
// the heartbeat finds out whether it can register again. A write begun
// before the hub registered again says nothing of the new lease.
func (s *Store) loseLease(ep int64) error {
	s.mu.Lock()
	if s.lease == leaseHeld && s.epoch == ep {
		s.lease = leaseExpired
	}
	s.mu.Unlock()
	return fmt.Errorf("%w: %w", storage.ErrStoreFailed, ErrLeaseLost)
}

// holdLease is the first statement of every transaction that writes: it
// fails (SQLSTATE HEL01) unless this process holds the hub's lease, and
// keeps the hub's row share-locked until the commit, so no other hub can
// adopt the messages (which takes that row FOR UPDATE) while the write is
// under way.
const holdLease = `SELECT hubedge_hold_lease($1, $2)`

// The writes of Apply. Every one names the owner, so a hub never
// overwrites or deletes what another hub owns: a put on a row of another
// owner fails (SQLSTATE HEL02) and aborts the transaction.
const (
	putRecord = `INSERT INTO hubedge_messages (id, owner, rec) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET rec = CASE WHEN hubedge_messages.owner = excluded.owner
			THEN excluded.rec ELSE hubedge_not_owner(excluded.id) END`
	putChunk = `INSERT INTO hubedge_chunks (id, seq, owner, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id, seq) DO UPDATE SET data = CASE WHEN hubedge_chunks.owner = excluded.owner
			THEN excluded.data ELSE hubedge_not_owner(excluded.id) END`
	deleteMessage = `WITH c AS (DELETE FROM hubedge_chunks WHERE id = $1 AND owner = $2)
		DELETE FROM hubedge_messages WHERE id = $1 AND owner = $2`
	deleteBody = `DELETE FROM hubedge_chunks WHERE id = $1 AND owner = $2`
)

// Apply performs ops in one transaction and returns once its commit is
// durable. The statements go in one pipeline ending in one Sync, which
// PostgreSQL runs as one implicit transaction: one round trip per group
// commit. It fails with ErrLeaseLost (wrapped) when the hub has lost its
// lease or an op touches a message another hub owns, and with
// storage.ErrStoreFailed wrapping the cause when the database cannot be
// reached or the commit's outcome is unknown (a connection lost
// mid-commit): never nil unless the commit succeeded.
func (s *Store) Apply(ops []storage.Op) error {
	if err := s.state(); err != nil {
		return err
	}
	if err := s.checkLost(ops); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Lease)
	defer cancel()
	b := &pgx.Batch{}
	ep := s.currentEpoch()
	b.Queue(holdLease, s.cfg.Hub, ep)
	var recs, deletes uint64
	for _, op := range ops {
		id := string(op.ID)
		switch op.Kind {
		case storage.OpPutRecord:
			recs++
			b.Queue(putRecord, id, s.cfg.Hub, op.Data)
		case storage.OpPutChunk:
			b.Queue(putChunk, id, int32(op.Seq), s.cfg.Hub, sealChunk(op.Data))
		case storage.OpDelete:
			deletes++
			b.Queue(deleteMessage, id, s.cfg.Hub)
		case storage.OpDeleteBody:
			deletes++
			b.Queue(deleteBody, id, s.cfg.Hub)
		default:
			return fmt.Errorf("pgstore: unknown op kind %d", op.Kind)
		}
	}
	// The connection is taken first so that a wait for one is not timed
	// as the commit's.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.writeFailed(err, ep)
	}
	var sent time.Time
	if s.cfg.CommitObserver != nil {
		sent = time.Now()
	}
	br := conn.SendBatch(ctx, b)
	for range b.Len() {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	// Close reads up to the Sync's ReadyForQuery, which PostgreSQL sends
	// after the commit: only then is the batch known to be durable.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	conn.Release()
	if err != nil {
		return s.writeFailed(err, ep)
	}
	if s.cfg.CommitObserver != nil {
		s.cfg.CommitObserver(int(recs+deletes), time.Since(sent))
	}
	s.commits.Add(1)
	s.records.Add(recs)
	s.mu.Lock()
	for _, op := range ops {
		switch op.Kind {
		case storage.OpPutRecord:
			s.owned[op.ID] = struct{}{}
		case storage.OpDelete:
			delete(s.owned, op.ID)
		}
	}
	s.mu.Unlock()
	return nil
}

func (s *Store) checkLost(ops []storage.Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lost) == 0 {
		return nil
	}
	for _, op := range ops {
		if _, ok := s.lost[op.ID]; ok {
			return fmt.Errorf("%w: %w: message %s was adopted by another hub while this one's lease had lapsed", storage.ErrNotOwned, ErrLeaseLost, op.ID)
		}
	}
	return nil
}

// writeFailed maps the error of a write: a lease the hub no longer holds
// (for good), a message of another hub, or a database failure.
func (s *Store) writeFailed(err error, ep int64) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "HEL01":
			return s.loseLease(ep)
		case "HEL02":
			return fmt.Errorf("%w: %w: %s", storage.ErrNotOwned, ErrLeaseLost, pe.Message)
		}
	}
	return s.failed(err)
}

// sealChunk appends the CRC-32C of data in its spare capacity, which the
// Store contract leaves to the store, so the chunk is not copied.
func sealChunk(data []byte) []byte {
	return binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Records takes over the messages of hubs whose lease has expired, then
// calls fn for every message this hub owns (its own from before a
// restart, and the adopted ones), in ID order.
func (s *Store) Records(fn func(id storage.ID, rec []byte) error) error {
	if err := s.state(); err != nil {
		return err
	}
	if _, err := s.takeOver(s.ctx); err != nil {
		return err
	}
	rows, err := s.pool.Query(s.ctx, `SELECT id, rec FROM hubedge_messages WHERE owner = $1 ORDER BY id`, s.cfg.Hub)
	if err != nil {
		return s.failed(err)
	}
	defer rows.Close()
	var id string
	var rec []byte
	for rows.Next() {
		if err := rows.Scan(&id, &rec); err != nil {
			return s.failed(err)
		}
		s.mu.Lock()
		s.owned[storage.ID(id)] = struct{}{}
		s.mu.Unlock()
		if err := fn(storage.ID(id), rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

// Bodies calls fn for every message of this hub that has body chunks, in
// ID order.
func (s *Store) Bodies(fn func(id storage.ID) error) error {
	if err := s.state(); err != nil {
		return err
	}
	rows, err := s.pool.Query(s.ctx, `SELECT DISTINCT id FROM hubedge_chunks WHERE owner = $1 ORDER BY id`, s.cfg.Hub)
	if err != nil {
		return s.failed(err)
	}
	defer rows.Close()
	var id string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return s.failed(err)
		}
		if err := fn(storage.ID(id)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

// OpenBody streams id's body one chunk per query, so only one chunk of
// it is in memory at a time.
func (s *Store) OpenBody(id storage.ID) (io.ReadCloser, error) {
	if err := s.state(); err != nil {
		return nil, err
	}
	r := &bodyReader{s: s, id: id}
	found, err := r.next()
	if err != nil {
		return nil, err
	}
	if !found {
		var exists bool
		if err := s.pool.QueryRow(s.ctx, `SELECT EXISTS (SELECT 1 FROM hubedge_messages WHERE id = $1)`, string(id)).Scan(&exists); err != nil {
			return nil, s.failed(err)
		}
		if !exists {
			return nil, storage.ErrNotFound
		}
	}
	return r, nil
}

type bodyReader struct {
	s    *Store
	id   storage.ID
	seq  int32
	off  int64 // body offset of buf[0]
	buf  []byte
	done bool
}

// next loads the next chunk and reports whether there was one.
func (r *bodyReader) next() (bool, error) {
	var data []byte
	err := r.s.pool.QueryRow(r.s.ctx, `SELECT data FROM hubedge_chunks WHERE id = $1 AND seq = $2`, string(r.id), r.seq).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		r.done = true
		return false, nil
	}
	if err != nil {
		return false, r.s.failed(err)
	}
	n := len(data) - 4
	if n < 0 || crc32.Checksum(data[:n], castagnoli) != binary.LittleEndian.Uint32(data[n:]) {
		return false, &storage.CorruptError{File: "postgresql table hubedge_chunks", Offset: r.off, ID: r.id,
			Reason: fmt.Sprintf("chunk %d fails its checksum", r.seq)}
	}
	r.off += int64(len(r.buf))
	r.buf = data[:n]
	r.seq++
	return true, nil
}

func (r *bodyReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if _, err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.off += int64(n)
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// Adopt makes the heartbeat take over, from then on, the messages of
// hubs whose lease has expired and hand each to fn (storage.Adopter).
func (s *Store) Adopt(fn func(id storage.ID, rec []byte) error) {
	s.mu.Lock()
	s.adopt = fn
	s.mu.Unlock()
}

// TakeOver adopts now, rather than at the next heartbeat, the messages
// of every hub whose lease has expired, hands them to the function given
// to Adopt, if any, and returns how many it took.
func (s *Store) TakeOver(ctx context.Context) (int, error) {
	if err := s.state(); err != nil {
		return 0, err
	}
	adopted, err := s.takeOver(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	fn := s.adopt
	s.mu.Unlock()
	if fn != nil {
		for _, a := range adopted {
			if err := fn(a.id, a.rec); err != nil {
				s.cfg.Logger.Error("pgstore: adopted message not taken by the queue", "id", a.id, "err", err)
			}
		}
	}
	return len(adopted), nil
}

type adopted struct {
	id  storage.ID
	rec []byte
}

// takeOver moves every message and chunk of the hubs whose lease expired
// to this hub in one transaction, dropping their orphan chunks (bodies of
// messages whose record never committed: never acknowledged). A dead
// hub's row is taken FOR UPDATE, so a write it began before its lease
// ran out (holding the row FOR SHARE) finishes first; SKIP LOCKED lets
// two hubs adopting at once split the dead between them.
func (s *Store) takeOver(ctx context.Context) ([]adopted, error) {
	var out []adopted
	ep := s.currentEpoch()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = out[:0]
		if _, err := tx.Exec(ctx, holdLease, s.cfg.Hub, ep); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT name FROM hubedge_hubs WHERE name <> $1 AND lease_until < now() FOR UPDATE SKIP LOCKED`, s.cfg.Hub)
		if err != nil {
			return err
		}
		dead, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(dead) == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hubedge_chunks c WHERE c.owner = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM hubedge_messages m WHERE m.id = c.id)`, dead); err != nil {
			return err
		}
		// The dead hubs' queues are gone with them, and so are commands
		// about those queues (SendHub); their messages join this hub's.
		if _, err := tx.Exec(ctx, `DELETE FROM hubedge_hub_queues WHERE hub = ANY($1)`, dead); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hubedge_commands WHERE hub = ANY($1) AND id = ''`, dead); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE hubedge_chunks SET owner = $1 WHERE owner = ANY($2)`, s.cfg.Hub, dead); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `UPDATE hubedge_messages SET owner = $1 WHERE owner = ANY($2) RETURNING id, rec`, s.cfg.Hub, dead)
		if err != nil {
			return err
		}
		var id string
		var rec []byte
		_, err = pgx.ForEachRow(rows, []any{&id, &rec}, func() error {
			out = append(out, adopted{id: storage.ID(id), rec: slices.Clone(rec)})
			return nil
		})
		if err != nil {
			return err
		}
		// After the messages: Send locks a message row while it queues a
		// command, so a command sent meanwhile is committed by now.
		_, err = tx.Exec(ctx, `UPDATE hubedge_commands SET hub = $1 WHERE hub = ANY($2)`, s.cfg.Hub, dead)
		return err
	})
	if err != nil {
		return nil, s.writeFailed(err, ep)
	}
	slices.SortFunc(out, func(a, b adopted) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	s.mu.Lock()
	for _, a := range out {
		s.owned[a.id] = struct{}{}
	}
	s.mu.Unlock()
	if len(out) > 0 {
		s.cfg.Logger.Info("pgstore: adopted messages of hubs whose lease expired", "hub", s.cfg.Hub, "messages", len(out))
	}
	return out, nil
}

// heartbeat renews the lease, or registers again if it lapsed, adopts
// what dead hubs left if the queue asked for it, runs the admin commands
// sent to this hub, and schedules the next beat. A lapsed lease is never
// just renewed: other hubs may own its messages by now, and a write that
// started under the old epoch must not commit under the new one.
func (s *Store) heartbeat() {
	s.mu.Lock()
	if s.closed || s.lease == leaseTaken {
		s.mu.Unlock()
		return
	}
	s.beats.Add(1)
	s.mu.Unlock()
	defer s.beats.Done()
	if err := s.Renew(s.ctx); err != nil {
		if !errors.Is(s.state(), storage.ErrClosed) {
			s.cfg.Logger.Warn("pgstore: heartbeat failed", "hub", s.cfg.Hub, "err", err)
		}
	} else if s.state() == nil {
		s.mu.Lock()
		hasAdopt := s.adopt != nil
		s.mu.Unlock()
		if hasAdopt {
			if _, err := s.TakeOver(s.ctx); err != nil && s.state() == nil {
				s.cfg.Logger.Warn("pgstore: adopting dead hubs' messages failed", "hub", s.cfg.Hub, "err", err)
			}
		}
		if _, err := s.RunCommands(s.ctx); err != nil && s.state() == nil {
			s.cfg.Logger.Warn("pgstore: running admin commands failed", "hub", s.cfg.Hub, "err", err)
		}
		if _, err := s.Holds(s.ctx); err != nil && s.state() == nil {
			s.cfg.Logger.Warn("pgstore: reading the pool's suspended queues failed", "hub", s.cfg.Hub, "err", err)
		}
		s.listen()
		s.mu.Lock()
		beat := s.beat
		s.mu.Unlock()
		if beat != nil {
			if err := beat(s.ctx); err != nil && s.state() == nil {
				s.cfg.Logger.Warn("pgstore: heartbeat work failed", "hub", s.cfg.Hub, "err", err)
			}
		}
	}
	s.mu.Lock()
	if !s.closed && s.lease != leaseTaken {
		s.timer = s.cfg.Clock.AfterFunc(s.cfg.Lease/3, s.heartbeat)
	}
	s.mu.Unlock()
}

// Renew renews the hub's lease now, rather than at the next heartbeat,
// or registers the hub again under a new epoch if the lease lapsed.
func (s *Store) Renew(ctx context.Context) error {
	s.renewing.Lock()
	defer s.renewing.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	lease, ep := s.lease, s.epoch
	s.mu.Unlock()
	if lease == leaseTaken {
		return fmt.Errorf("%w: %w", storage.ErrStoreFailed, ErrLeaseLost)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Lease/3)
	defer cancel()
	if lease == leaseHeld {
		tag, err := s.pool.Exec(ctx, `UPDATE hubedge_hubs SET lease_until = now() + $3 * interval '1 millisecond'
			WHERE name = $1 AND epoch = $2 AND lease_until > now()`, s.cfg.Hub, ep, s.cfg.Lease.Milliseconds())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
	}
	return s.register(ctx, ep)
}

// register takes a new epoch and lease after the lease under epoch ep
// lapsed, unless another process has registered under the name since, and
// notes which of its messages other hubs adopted meanwhile. Holding the
// hub's row, it cannot overlap a takeover.
func (s *Store) register(ctx context.Context, ep int64) error {
	var next int64
	still := map[storage.ID]struct{}{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE hubedge_hubs SET epoch = epoch + 1, lease_until = now() + $3 * interval '1 millisecond'
			WHERE name = $1 AND epoch = $2 RETURNING epoch`, s.cfg.Hub, ep, s.cfg.Lease.Milliseconds()).Scan(&next)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM hubedge_messages WHERE owner = $1`, s.cfg.Hub)
		if err != nil {
			return err
		}
		var id string
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
			still[storage.ID(id)] = struct{}{}
			return nil
		})
		return err
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		s.lease = leaseTaken
		s.cfg.Logger.Error("pgstore: another process registered under this hub's name; this one writes nothing more", "hub", s.cfg.Hub, "epoch", ep)
		return nil
	case err != nil:
		s.lease = leaseExpired
		return err
	}
	lost := 0
	for id := range s.owned {
		if _, ok := still[id]; !ok {
			s.lost[id] = struct{}{}
			lost++
		}
	}
	s.owned = still
	s.epoch, s.lease = next, leaseHeld
	s.cfg.Logger.Warn("pgstore: lease had lapsed; registered again, messages other hubs adopted meanwhile are theirs",
		"hub", s.cfg.Hub, "epoch", next, "lost", lost)
	return nil
}

// Close stops the heartbeat, releases the lease, so the other hubs adopt
// what is left at once instead of a lease later, and disconnects.
func (s *Store) Close() error {
	if err := s.stop(); err != nil {
		return err
	}
	// Only this registration's lease: a later one under the name is not
	// this process's to end.
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease)
	_, err := s.pool.Exec(ctx, `UPDATE hubedge_hubs SET lease_until = now() WHERE name = $1 AND epoch = $2 AND lease_until > now()`,
		s.cfg.Hub, s.currentEpoch())
	cancel()
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("pgstore: release lease: %w", err)
	}
	return nil
}

// stop ends the heartbeat and every call in progress.
func (s *Store) stop() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.cancel()
	s.beats.Wait()
	return nil
}

// PoolRecords calls fn for every message of the pool, whichever hub owns
// it, in ID order: what Get-Queue of the pool lists.
func (s *Store) PoolRecords(ctx context.Context, fn func(hub string, id storage.ID, rec []byte) error) error {
	if err := s.state(); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT owner, id, rec FROM hubedge_messages ORDER BY id`)
	if err != nil {
		return s.failed(err)
	}
	defer rows.Close()
	var hub, id string
	var rec []byte
	for rows.Next() {
		if err := rows.Scan(&hub, &id, &rec); err != nil {
			return s.failed(err)
		}
		if err := fn(hub, storage.ID(id), rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.failed(err)
	}
	return nil
}

// Send queues command cmd about message id for the hub that owns it and
// returns that hub's name; it fails with storage.ErrNotFound when no hub
// has the message. The owner runs it as soon as a notification reaches
// it (see Config.NoNotify), at its next heartbeat otherwise, or when it
// calls RunCommands; if the owner dies first, the hub that
// adopts the message runs it. The meaning of cmd is the business of the
// function given to OnCommand.
func (s *Store) Send(ctx context.Context, id storage.ID, cmd string) (string, error) {
	if err := s.state(); err != nil {
		return "", err
	}
	var hub string
	// The message row is locked until the command is committed, so a
	// takeover, which moves commands after messages, cannot miss it.
	err := s.pool.QueryRow(ctx, `WITH m AS (SELECT owner FROM hubedge_messages WHERE id = $1 FOR SHARE)
		INSERT INTO hubedge_commands (hub, id, cmd) SELECT owner, $1, $2 FROM m RETURNING hub`, string(id), cmd).Scan(&hub)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: message %s", storage.ErrNotFound, id)
	}
	if err != nil {
		return "", s.failed(err)
	}
	s.notify(ctx, chanCommands, hub)
	return hub, nil
}

// OnCommand sets the function that runs, in order, the commands Send and
// SendHub queued for this hub; id is empty for those of SendHub.
func (s *Store) OnCommand(fn func(id storage.ID, cmd string) error) {
	s.mu.Lock()
	s.run = fn
	s.mu.Unlock()
}

// RunCommands runs now, rather than at the next heartbeat, the commands
// queued for this hub, and returns how many ran. A command whose function
// fails (the message has left the queue meanwhile) is logged and dropped.
func (s *Store) RunCommands(ctx context.Context) (int, error) {
	if err := s.state(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	fn := s.run
	s.mu.Unlock()
	if fn == nil {
		return 0, nil
	}
	s.cmdMu.Lock()
	defer s.cmdMu.Unlock()
	rows, err := s.pool.Query(ctx, `SELECT seq, id, cmd FROM hubedge_commands WHERE hub = $1 ORDER BY seq`, s.cfg.Hub)
	if err != nil {
		return 0, s.failed(err)
	}
	type command struct {
		seq     int64
		id, cmd string
	}
	var cmds []command
	var c command
	if _, err := pgx.ForEachRow(rows, []any{&c.seq, &c.id, &c.cmd}, func() error {
		cmds = append(cmds, c)
		return nil
	}); err != nil {
		return 0, s.failed(err)
	}
	for _, c := range cmds {
		if err := fn(storage.ID(c.id), c.cmd); err != nil {
			s.cfg.Logger.Warn("pgstore: admin command failed", "hub", s.cfg.Hub, "id", c.id, "cmd", c.cmd, "err", err)
		}
	}
	if len(cmds) > 0 {
		// Run, then deleted: a crash in between runs them again, which
		// suspending, resuming or removing a message tolerates.
		if _, err := s.pool.Exec(ctx, `DELETE FROM hubedge_commands WHERE hub = $1 AND seq <= $2`, s.cfg.Hub, cmds[len(cmds)-1].seq); err != nil {
			return len(cmds), s.failed(err)
		}
	}
	return len(cmds), nil
}

var (
	_ storage.Store   = (*Store)(nil)
	_ storage.Adopter = (*Store)(nil)
)
