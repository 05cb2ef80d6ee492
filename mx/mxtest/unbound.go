package mxtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrUnboundMissing is returned by StartUnbound when no unbound binary is
// installed (Debian: apt-get install unbound); tests skip then.
var ErrUnboundMissing = errors.New("mxtest: unbound is not installed")

// UnboundZone is a zone the resolver forwards to the harness DNS server.
// With a TrustAnchor (SignedZone.TrustAnchor) its answers are validated;
// without one they are insecure, as for an unsigned zone on the Internet.
type UnboundZone struct {
	Name        string
	TrustAnchor string
}

// Unbound is a real validating resolver (NLnet Labs unbound) on
// 127.0.0.1, in front of a harness DNS server: it sets the AD bit only
// for answers it validated against the zones' trust anchors, and answers
// SERVFAIL for bogus data. It runs as the current user from a temporary
// directory and stops at cleanup.
type Unbound struct {
	addr string
	cmd  *exec.Cmd
	logs []string
	mu   sync.Mutex
	done chan struct{}
}

// StartUnbound starts unbound with a stub zone per zone, each served by
// upstream, and returns once it is serving. It returns ErrUnboundMissing
// when unbound is not installed, another error when it fails to start
// (its log is in the error).
func StartUnbound(t TB, upstream *DNS, zones ...UnboundZone) (*Unbound, error) {
	t.Helper()
	bin, err := exec.LookPath("unbound")
	if err != nil {
		for _, p := range []string{"/usr/sbin/unbound", "/usr/local/sbin/unbound"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
		if err != nil {
			return nil, ErrUnboundMissing
		}
	}
	dir, err := os.MkdirTemp("", "mxtest-unbound-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	upHost, upPort, _ := net.SplitHostPort(upstream.Addr())
	var b strings.Builder
	fmt.Fprintf(&b, `server:
	interface: 127.0.0.1
	port: %s
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: %q
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	val-log-level: 2
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	qname-minimisation: no
	module-config: "validator iterator"
	target-fetch-policy: "0 0 0 0 0"
`, port, dir)
	for _, z := range zones {
		// Transparent: names under test., invalid. and the like are not
		// answered from unbound's built-in local zones (RFC 6761).
		fmt.Fprintf(&b, "\tlocal-zone: %q transparent\n", canonical(z.Name))
		if z.TrustAnchor != "" {
			fmt.Fprintf(&b, "\ttrust-anchor: %q\n", strings.ReplaceAll(z.TrustAnchor, "\t", " "))
		}
	}
	for _, z := range zones {
		fmt.Fprintf(&b, "stub-zone:\n\tname: %q\n\tstub-addr: %s@%s\n", canonical(z.Name), upHost, upPort)
	}
	b.WriteString("remote-control:\n\tcontrol-enable: no\n")
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	u := &Unbound{addr: net.JoinHostPort("127.0.0.1", port), done: make(chan struct{})}
	u.cmd = exec.Command(bin, "-d", "-c", conf)
	stderr, err := u.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := u.cmd.Start(); err != nil {
		return nil, fmt.Errorf("mxtest: starting unbound: %w", err)
	}
	ready := make(chan bool, 1)
	go u.read(stderr, ready)
	t.Cleanup(func() {
		_ = u.cmd.Process.Kill()
		<-u.done // the log is read to EOF before Wait closes the pipe
		_ = u.cmd.Wait()
	})
	if !<-ready {
		<-u.done
		return nil, fmt.Errorf("mxtest: unbound did not start:\n%s", strings.Join(u.Log(), "\n"))
	}
	return u, nil
}

// read keeps unbound's log and reports, once, whether it started serving
// (its "start of service" line) or exited first.
func (u *Unbound) read(r io.Reader, ready chan<- bool) {
	defer close(u.done)
	started := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		u.mu.Lock()
		u.logs = append(u.logs, line)
		u.mu.Unlock()
		if !started && strings.Contains(line, "start of service") {
			started = true
			ready <- true
		}
	}
	if !started {
		ready <- false
	}
}

// Addr returns the resolver's address, "127.0.0.1:port", UDP and TCP.
func (u *Unbound) Addr() string { return u.addr }

// Log returns unbound's log lines so far (validation failures at
// val-log-level 2), for test failure messages.
func (u *Unbound) Log() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.logs...)
}

// freePort finds a loopback port free on UDP and TCP for unbound to bind.
func freePort() (string, error) {
	pc, l, err := listenUDPAndTCP()
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	pc.Close()
	l.Close()
	return port, nil
}
