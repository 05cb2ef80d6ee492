package postfixtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ErrUnavailable is wrapped by Available's error when this machine cannot
// run a Postfix instance.
var ErrUnavailable = errors.New("postfixtest: postfix unavailable")

// failLogLines is how much of the maillog a failed test shows.
const failLogLines = 200

// startAttempts bounds retries when the port picked turned out taken.
const startAttempts = 5

// Instance is a running throwaway Postfix. Its methods are safe for
// concurrent use.
type Instance struct {
	t    testing.TB
	opts options
	dir  layout
	port int

	stopOnce sync.Once
}

// Available reports whether Start can run an instance here: running as
// root, with postfix, postconf and postqueue on PATH (or in /usr/sbin),
// the postfix user and the postdrop group. SASL additionally needs
// saslpasswd2, which Start checks when WithSASLUser is given.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: Postfix needs root to start", ErrUnavailable)
	}
	for _, bin := range []string{"postfix", "postconf", "postqueue"} {
		if _, err := lookPath(bin); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// lookPath finds bin on PATH or in the sbin directories, which a non-login
// root shell may not have on PATH.
func lookPath(bin string) (string, error) {
	if p, err := exec.LookPath(bin); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, bin)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("postfixtest: %s not found", bin)
}

// Start creates, starts and waits for an instance; t.Cleanup stops it
// and removes its files. It calls t.Skip when Available fails (or
// saslpasswd2 is missing for WithSASLUser) and t.Fatal when the instance
// does not come up, with its log.
func Start(t testing.TB, opts ...Option) *Instance {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if len(o.users) > 0 {
		if _, err := lookPath("saslpasswd2"); err != nil {
			t.Skipf("%v (install sasl2-bin)", err)
		}
	}
	if o.requireTLS && o.cert == nil {
		t.Fatal("postfixtest: RequireTLS needs WithTLS")
	}
	id, err := lookupIDs()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its path grows with the test name, and the daemons'
	// unix sockets live below the queue directory.
	root, err := os.MkdirTemp("/tmp", "pft")
	if err != nil {
		t.Fatal(err)
	}
	in := &Instance{t: t, opts: o, dir: newLayout(root)}
	t.Cleanup(func() {
		in.Stop()
		if t.Failed() {
			t.Logf("postfixtest: %s maillog (last %d lines):\n%s", in.Addr(), failLogLines, tail(in.Log(), failLogLines))
		}
		if err := os.RemoveAll(root); err != nil {
			t.Logf("postfixtest: removing %s: %v", root, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), o.startTimeout)
	defer cancel()
	if err := in.configure(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := in.start(ctx); err != nil {
		t.Fatalf("%v\n--- maillog ---\n%s", err, in.Log())
	}
	return in
}

func lookupIDs() (ids, error) {
	var id ids
	pf, err := user.Lookup("postfix")
	if err != nil {
		return id, fmt.Errorf("postfixtest: %w", err)
	}
	// virtual(8) delivers as nobody: neither root nor the mail owner.
	vm, err := user.Lookup("nobody")
	if err != nil {
		return id, fmt.Errorf("postfixtest: %w", err)
	}
	pd, err := user.LookupGroup("postdrop")
	if err != nil {
		return id, fmt.Errorf("postfixtest: %w", err)
	}
	for _, p := range []struct {
		s   string
		dst *int
	}{{pf.Uid, &id.postfixUID}, {pf.Gid, &id.postfixGID}, {pd.Gid, &id.postdropGID}, {vm.Uid, &id.vmailUID}, {vm.Gid, &id.vmailGID}} {
		n, err := strconv.Atoi(p.s)
		if err != nil {
			return id, fmt.Errorf("postfixtest: numeric id %q: %w", p.s, err)
		}
		*p.dst = n
	}
	return id, nil
}

// configure writes everything except master.cf, which depends on the port.
func (in *Instance) configure(ctx context.Context, id ids) error {
	l := in.dir
	if err := l.makeDirs(id); err != nil {
		return fmt.Errorf("postfixtest: creating directories: %w", err)
	}
	files := map[string]string{
		filepath.Join(l.etc, "main.cf"): l.mainCF(&in.opts, id),
		l.maillog:                       "",
	}
	if len(in.opts.users) > 0 {
		files[filepath.Join(l.sasl, "smtpd.conf")] = l.smtpdConf()
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
	}
	if err := l.makeQueueDirs(ctx, id); err != nil {
		return err
	}
	if in.opts.cert != nil {
		if err := l.writeTLS(*in.opts.cert); err != nil {
			return err
		}
	}
	if len(in.opts.users) > 0 {
		if err := in.writeSASLDB(id); err != nil {
			return err
		}
	}
	return nil
}

// writeSASLDB creates sasldb2 with every user, readable by smtpd (which
// runs as the mail owner) and nobody else.
func (in *Instance) writeSASLDB(id ids) error {
	db := filepath.Join(in.dir.sasl, "sasldb2")
	bin, err := lookPath("saslpasswd2")
	if err != nil {
		return err
	}
	for u, pass := range in.opts.users {
		// -p reads the password from stdin without prompting.
		cmd := exec.Command(bin, "-c", "-p", "-f", db, "-u", in.opts.hostname, u)
		cmd.Stdin = strings.NewReader(pass)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("postfixtest: saslpasswd2 %s: %v: %s", u, err, out)
		}
	}
	if err := os.Chown(db, 0, id.postfixGID); err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	return os.Chmod(db, 0o640)
}

// start picks a free port and starts master, retrying with another port
// when the one picked was taken in between. `postfix start` runs the
// checks of `postfix check` itself (post-install create-missing, postsuper,
// permission warnings), so they are not run twice.
func (in *Instance) start(ctx context.Context) error {
	var lastErr error
	for range startAttempts {
		port, err := freePort()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(in.dir.etc, "master.cf"), []byte(masterCF(port)), 0o644); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		in.port = port
		if lastErr = in.postfix(ctx, "start"); lastErr == nil {
			return waitGreeting(ctx, in.Addr())
		}
		// master reports "bind 127.0.0.1 port N: Address already in use"
		// on stderr and in the log.
		if !strings.Contains(lastErr.Error()+in.Log(), "in use") {
			return lastErr
		}
		in.t.Logf("postfixtest: port %d taken, retrying", port)
	}
	return lastErr
}

// postfix runs `postfix -c etc args...`.
func (in *Instance) postfix(ctx context.Context, args ...string) error {
	bin, err := lookPath("postfix")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-c", in.dir.etc}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("postfixtest: postfix %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before master binds it, which start handles by retrying.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postfixtest: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitGreeting polls addr until a server greets with 220.
func waitGreeting(ctx context.Context, addr string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if lastErr = greets(ctx, addr); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postfixtest: no greeting from %s: %w (last: %v)", addr, ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

func greets(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("postfixtest: greeting %q", strings.TrimSpace(line))
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return nil
}

// Stop stops the instance and waits until master and every daemon it
// started have exited; Cleanup calls it, and calling it again does
// nothing. It sends master SIGTERM, as `postfix stop` does (master then
// terminates its children), but polls for the exit instead of sleeping a
// second per check like postfix-script; whatever lingers after
// stopTimeout is killed with SIGKILL, process group and all.
func (in *Instance) Stop() {
	in.stopOnce.Do(func() {
		pid := in.masterPID()
		if pid == 0 {
			return
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			if !errors.Is(err, syscall.ESRCH) {
				in.t.Errorf("postfixtest: signalling master %d: %v", pid, err)
			}
			return
		}
		// master runs in a session of its own, so its pid is the process
		// group of all the daemons.
		if waitExit(-pid, stopTimeout) {
			return
		}
		in.t.Logf("postfixtest: master %d's processes still running %v after SIGTERM, killing them", pid, stopTimeout)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		if !waitExit(-pid, stopTimeout) {
			in.t.Errorf("postfixtest: processes of master %d survived SIGKILL", pid)
		}
	})
}

// stopTimeout bounds each stage of Stop.
const stopTimeout = 10 * time.Second

// masterPID reads master's pid file; 0 when there is none.
func (in *Instance) masterPID() int {
	b, err := os.ReadFile(filepath.Join(in.dir.queue, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// waitExit polls until no process matches pid (a process group when
// negative) or d passes.
func waitExit(pid int, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// Addr returns the smtpd's "127.0.0.1:port".
func (in *Instance) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(in.port)) }

// Port returns the smtpd's port.
func (in *Instance) Port() int { return in.port }

// Hostname returns myhostname.
func (in *Instance) Hostname() string { return in.opts.hostname }

// Dir returns the instance's root directory (etc/ holds main.cf).
func (in *Instance) Dir() string { return in.dir.root }

// Flush asks the queue manager to retry deferred mail now
// (postqueue -f), for tests whose next hop came back.
func (in *Instance) Flush(ctx context.Context) error {
	bin, err := lookPath("postqueue")
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, bin, "-c", in.dir.etc, "-f").CombinedOutput()
	if err != nil {
		return fmt.Errorf("postfixtest: postqueue -f: %v: %s", err, out)
	}
	return nil
}
