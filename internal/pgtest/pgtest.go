// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb
// into a fresh temporary directory, a server listening only on a Unix
// socket in that directory, fsync and synchronous commit on, stopped and
// removed when the test ends. Tests that need a database call Start and
// then NewDB for an empty database each:
//
//	c := pgtest.Start(t) // skips the test if PostgreSQL is not installed
//	dsn := c.NewDB(t)    // "host=/tmp/pgtest… port=5432 user=postgres dbname=t1"
//
// Tests that do not stop or restart the server can share one cluster per
// test binary: Shared starts it on first use, and Main, called from
// TestMain, removes it once the tests are done.
//
// The binaries are looked up on PATH (initdb, pg_ctl) and then under
// Debian's /usr/lib/postgresql/*/bin, newest version first. When the test
// runs as root, the server runs as the unprivileged user "postgres"
// (PostgreSQL refuses to run as root), through runuser.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned by Find when no PostgreSQL binaries are found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin")

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // root of the temporary tree; the socket lives here
	data string
	log  string
	as   *user.User // nil: run as the current user

	mu  sync.Mutex
	dbs int
	up  bool
}

// Find returns the directory that holds initdb and pg_ctl.
func Find() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dir := filepath.Dir(real)
			if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

// version reads the major version out of /usr/lib/postgresql/N/bin.
func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// Start initialises and starts a cluster that is stopped and removed when
// t ends. It skips t when PostgreSQL is not installed and fails it when
// the cluster cannot be started.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin, err := Find()
	if err != nil {
		t.Skip(err.Error())
	}
	c, err := start(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.remove(); err != nil {
			t.Error(err)
		}
	})
	return c
}

var shared struct {
	once sync.Once
	c    *Cluster
	err  error
}

// Shared returns the cluster shared by the tests of this binary, starting
// it on first use. It skips t when PostgreSQL is not installed. The
// package's TestMain must call Main, which removes the cluster.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	bin, err := Find()
	if err != nil {
		t.Skip(err.Error())
	}
	shared.once.Do(func() { shared.c, shared.err = start(bin) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c
}

// Main runs the tests and then removes the cluster Shared started:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with more to check after the tests (leaked
// goroutines, say): it runs them, removes the cluster Shared started and
// returns the exit code instead of exiting.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.c != nil {
		if err := shared.c.remove(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	return code
}

func start(bin string) (*Cluster, error) {
	// A short path: the socket's sun_path holds 108 bytes.
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "server.log")}
	if os.Geteuid() == 0 {
		if c.as, err = user.Lookup("postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs a postgres user to run the server as: %w", err)
		}
	}
	if err := c.prepare(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// prepare makes the tree traversable by the server's user and hands it
// the directory, which holds the data directory, the socket and the log.
func (c *Cluster) prepare() error {
	if err := os.Chmod(c.dir, 0o755); err != nil {
		return err
	}
	if c.as == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.as.Uid)
	gid, _ := strconv.Atoi(c.as.Gid)
	return os.Chown(c.dir, uid, gid)
}

// run runs a PostgreSQL program as the server's user.
func (c *Cluster) run(prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.as != nil {
		cmd = exec.Command("runuser", append([]string{"-u", c.as.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s%s", prog, err, out, c.serverLog())
	}
	return nil
}

func (c *Cluster) serverLog() string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return ""
	}
	return "server log:\n" + string(b)
}

// Restart starts the server, stopping it first (fast: sessions are cut,
// committed work is kept) if it runs. pg_ctl waits until the server
// accepts connections.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up {
		if err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop"); err != nil {
			return err
		}
		c.up = false
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=on -c synchronous_commit=on -c max_connections=200", c.dir)
	if err := c.run("pg_ctl", "-D", c.data, "-l", c.log, "-o", opts, "-w", "start"); err != nil {
		return err
	}
	c.up = true
	return nil
}

// Stop stops the server (immediate: as a crash would) until Restart.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.up {
		return nil
	}
	c.up = false
	return c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop")
}

func (c *Cluster) remove() error {
	err := c.Stop()
	if rerr := os.RemoveAll(c.dir); err == nil {
		err = rerr
	}
	return err
}

// DSN returns the connection string of database db.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.dir, db)
}

// NewDB creates an empty database and returns its connection string.
func (c *Cluster) NewDB(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	c.dbs++
	name := fmt.Sprintf("t%d", c.dbs)
	c.mu.Unlock()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return c.DSN(name)
}

// ServerPID returns the process ID of the running server (the
// postmaster, whose children are the sessions and background workers),
// so benchmarks can measure the database's CPU.
func (c *Cluster) ServerPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}
