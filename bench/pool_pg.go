package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// pgServer is pool mode's throwaway PostgreSQL: a cluster initialised in
// WORKDIR/pg (on the disk under test, since its WAL flushes are what a
// pool's durability costs), listening only on a Unix socket in a short
// directory of its own, fsync and synchronous commit on. internal/pgtest
// does the same for tests, but its API takes a testing.TB; only its
// lookup of the binaries (Find) is reused here.
type pgServer struct {
	bin, dir, data, sock, log string
	as                        *user.User // nil: run as the current user
	dbs                       int
}

// errPGServer wraps every failure of the throwaway server.
var errPGServer = errors.New("bench: throwaway PostgreSQL")

// pgOpts are the server's settings: no TCP at all, fsync and synchronous
// commit on (the defaults, given so that a changed default cannot make
// the figures lie), and room for three hubs' connection pools.
func pgOpts(sock string) string {
	return fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=on -c synchronous_commit=on -c max_connections=300", sock)
}

// newPGServer is the server whose cluster lives in dir, not started.
func newPGServer(dir string) (*pgServer, error) {
	bin, err := pgtest.Find()
	if err != nil {
		return nil, err
	}
	p := &pgServer{bin: bin, dir: dir, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if p.as, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("%w: running as root needs a postgres user to run the server as: %v", errPGServer, err)
		}
	}
	return p, nil
}

// startPG initialises a cluster in dir (removing what a previous run
// left) and starts it; pg_ctl -w returns once it accepts connections.
func startPG(ctx context.Context, dir string) (*pgServer, error) {
	p, err := newPGServer(dir)
	if err != nil {
		return nil, err
	}
	p.stopLeftover(ctx)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	// The socket's path must fit sun_path (108 bytes): a short directory
	// under the system's temporary directory rather than WORKDIR.
	if p.sock, err = os.MkdirTemp("", "hubedge-bench-pg"); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, p.sock} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := p.own(d); err != nil {
			return nil, err
		}
	}
	if err := p.run(ctx, "initdb", "-D", p.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"); err != nil {
		p.remove()
		return nil, err
	}
	if err := p.run(ctx, "pg_ctl", "-D", p.data, "-l", p.log, "-o", pgOpts(p.sock), "-w", "start"); err != nil {
		p.remove()
		return nil, err
	}
	return p, nil
}

// stopLeftover stops a server a killed bench left running in p.data, so
// that its directory can be reused; there is none on a normal start.
func (p *pgServer) stopLeftover(ctx context.Context) {
	if _, err := os.Stat(filepath.Join(p.data, "postmaster.pid")); err != nil {
		return
	}
	note("stopping the PostgreSQL a previous run left in %s", p.data)
	sock := pidFileSocket(filepath.Join(p.data, "postmaster.pid"))
	_ = p.run(ctx, "pg_ctl", "-D", p.data, "-m", "immediate", "-w", "stop")
	// Its socket directory is outside WORKDIR; only one of ours goes.
	if strings.HasPrefix(sock, filepath.Join(os.TempDir(), "hubedge-bench-pg")) {
		_ = os.RemoveAll(sock)
	}
}

// pidFileSocket is the socket directory a postmaster.pid records (its
// fifth line), empty if unreadable.
func pidFileSocket(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		return ""
	}
	return strings.TrimSpace(lines[4])
}

// own hands d to the server's user.
func (p *pgServer) own(d string) error {
	if p.as == nil {
		return nil
	}
	uid, _ := strconv.Atoi(p.as.Uid)
	gid, _ := strconv.Atoi(p.as.Gid)
	return os.Chown(d, uid, gid)
}

// run runs a PostgreSQL program as the server's user.
func (p *pgServer) run(ctx context.Context, prog string, args ...string) error {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if p.as != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", p.as.Username, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(p.log)
		return fmt.Errorf("%w: %s: %v\n%s%s", errPGServer, prog, err, out, lastLines(log, 10))
	}
	return nil
}

// stop shuts the server down (fast: sessions are cut) and removes its
// directories. Safe on nil. It does not take the run's context: an
// interrupted bench must still stop what it started.
func (p *pgServer) stop() {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.run(ctx, "pg_ctl", "-D", p.data, "-m", "fast", "-w", "stop"); err != nil {
		note("WARNING: %v", err)
	}
	p.remove()
}

func (p *pgServer) remove() {
	_ = os.RemoveAll(p.dir)
	_ = os.RemoveAll(p.sock)
}

// dsn is the pgx connection string of database db.
func (p *pgServer) dsn(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", p.sock, db)
}

// admin runs f on a connection to the postgres database, so that the
// harness's own queries never count in a bench database's statistics.
func (p *pgServer) admin(ctx context.Context, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return fmt.Errorf("%w: connect: %v", errPGServer, err)
	}
	defer conn.Close(context.Background())
	if err := f(conn); err != nil {
		return fmt.Errorf("%w: %v", errPGServer, err)
	}
	return nil
}

// newDB creates an empty database for one run of a pool: the hubs create
// the schema in it, and its statistics are that run's alone.
func (p *pgServer) newDB(ctx context.Context) (string, error) {
	p.dbs++
	name := fmt.Sprintf("bench%d", p.dbs)
	return name, p.admin(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "CREATE DATABASE "+name)
		return err
	})
}

// pgCounts are the server's counters a pool run reads.
type pgCounts struct {
	// Commits is pg_stat_database.xact_commit of the bench database: every
	// committed transaction, read-only ones (body reads) included. Sessions
	// report it late (up to 10 s when idle), so it is exact only once they
	// have ended.
	Commits int64
	// WALSyncs is pg_stat_wal.wal_sync, the server's WAL flushes (reported
	// as late).
	WALSyncs int64
	// NextXID is the next transaction id to be assigned: its advance is the
	// number of transactions that wrote (and so flushed the WAL at commit),
	// exact at any moment, for the whole cluster (only the bench database
	// is in use; autovacuum's ANALYZE takes a few).
	NextXID int64
}

func (p *pgServer) counts(ctx context.Context, db string) (pgCounts, error) {
	var n pgCounts
	err := p.admin(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT
			coalesce((SELECT xact_commit FROM pg_stat_database WHERE datname = $1), 0),
			(SELECT wal_sync FROM pg_stat_wal),
			pg_snapshot_xmax(pg_current_snapshot())::text::bigint`, db).Scan(&n.Commits, &n.WALSyncs, &n.NextXID)
	})
	return n, err
}

// nextXID is NextXID alone: one cheap query at the edges of the timed
// window.
func (p *pgServer) nextXID(ctx context.Context) (int64, error) {
	var x int64
	err := p.admin(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&x)
	})
	return x, err
}

// waitIdle returns once no session is connected to db, so that every
// session of the stopped hubs has ended and reported its statistics.
func (p *pgServer) waitIdle(ctx context.Context, db string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var left int
		err := p.admin(ctx, func(c *pgx.Conn) error {
			return c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, db).Scan(&left)
		})
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %d session(s) of %s still connected after the hubs stopped", errPGServer, left, db)
		case <-tick.C:
		}
	}
}

// pid is the postmaster's process id, from postmaster.pid.
func (p *pgServer) pid() (int, error) {
	b, err := os.ReadFile(filepath.Join(p.data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errPGServer, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// parsePPID reads the parent pid (field 4) out of a /proc/<pid>/stat
// line, counting from the last ')' as parseStat does.
func parsePPID(line []byte) (int, error) {
	i := bytes.LastIndexByte(line, ')')
	if i < 0 {
		return 0, errStat
	}
	f := strings.Fields(string(line[i+1:]))
	if len(f) < 2 {
		return 0, errStat
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, errStat
	}
	return ppid, nil
}

// treeTicks is the CPU, in clock ticks, of process pm and its live
// children, each with its reaped children. PostgreSQL's backends and
// background workers are children of the postmaster that each call
// setsid(), so the session accounting used for Postfix would miss them;
// a backend that exits in the window moves from the children's sum into
// the postmaster's cutime, so the difference of two samples stays right.
func treeTicks(pm int) int64 {
	total := int64(0)
	if st, err := readStat(pm); err == nil {
		total = st.Ticks
	}
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if ppid, err := parsePPID(b); err != nil || ppid != pm {
			continue
		}
		if st, err := parseStat(b); err == nil {
			total += st.Ticks
		}
	}
	return total
}

// dropDB removes a run's database once the run is over, so that later
// checkpoints do not carry it; a failure only costs disk.
func (p *pgServer) dropDB(db string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.admin(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		return err
	}); err != nil {
		note("WARNING: %v", err)
	}
}
