// Package miltertest starts real milter filters for tests: rspamd's proxy
// worker in milter mode (and OpenDKIM), each in a temporary directory on
// loopback, stopped by t.Cleanup. When the filter is not installed the
// test is skipped with a message saying which package to install.
//
//	r := miltertest.StartRspamd(t, dns.Addr())
//	m, _ := milter.New(milter.Config{Network: "tcp", Address: r.Addr, Timeout: miltertest.StartupTimeout})
package miltertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StartupTimeout is long enough for a filter's first answer: rspamd
// compiles its rules before its worker accepts connections, which takes
// tens of seconds on a loaded two-core machine. The socket is bound by the
// test, so a client connects at once and its first read waits for that.
const StartupTimeout = 3 * time.Minute

// Rspamd is a running rspamd.
type Rspamd struct {
	Addr string // host:port of the milter (proxy worker)
	Dir  string // its configuration, database and log
}

// rspamdConfig keeps only the proxy worker, scanning by itself in milter
// mode, on a socket handed over by the test (systemd socket activation),
// with the DNS server given and extended spam headers (X-Spamd-Result).
const rspamdConfig = `.include "/etc/rspamd/common.conf"
options {
  pidfile = "%[1]s/rspamd.pid";
  .include "/etc/rspamd/options.inc"
  disable_hyperscan = true;
  dns { nameserver = ["%[2]s"]; timeout = 1s; retransmits = 1; }
}
logging { type = "file"; filename = "%[1]s/rspamd.log"; level = "info"; }
worker "rspamd_proxy" {
  bind_socket = "systemd:0";
  milter = yes;
  self_scan = yes;
  count = 1;
  timeout = 120s;
  spam_header = "X-Spam";
  upstream "local" { default = yes; self_scan = yes; }
}
`

// StartRspamd starts rspamd with dnsAddr as its only resolver (give it the
// harness's DNS server so that its lookups stay on loopback).
func StartRspamd(t testing.TB, dnsAddr string) *Rspamd {
	t.Helper()
	bin, err := exec.LookPath("rspamd")
	if err != nil {
		t.Skip("miltertest: rspamd is not installed (apt-get install rspamd)")
	}
	dir := t.TempDir()
	args, err := RspamdConfig(dir, dnsAddr)
	if err != nil {
		t.Fatal(err)
	}
	addr := startActivated(t, bin, args, dir)
	return &Rspamd{Addr: addr, Dir: dir}
}

// RspamdConfig writes into dir the configuration of an rspamd that StartRspamd
// would run (the proxy worker alone, scanning in milter mode, dnsAddr its
// only resolver, its database and log in dir) and returns rspamd's
// arguments. The process must run in dir and be handed its listening socket
// as fd 3 with LISTEN_FDS=1 (systemd socket activation), so clients can
// connect before its rules are compiled. Programs outside go test, such as
// benchmarks, start it with these.
func RspamdConfig(dir, dnsAddr string) ([]string, error) {
	for _, d := range []string{"local.d", "db"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	files := map[string]string{
		"rspamd.conf": fmt.Sprintf(rspamdConfig, dir, dnsAddr),
		filepath.Join("local.d", "milter_headers.conf"): "extended_spam_headers = true;\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	args := []string{"-f", "-c", filepath.Join(dir, "rspamd.conf"),
		"--var", "LOCAL_CONFDIR=" + dir, "--var", "DBDIR=" + filepath.Join(dir, "db"),
		"--var", "RUNDIR=" + dir, "--var", "LOGDIR=" + dir}
	if os.Geteuid() == 0 {
		args = append(args, "-i", "-u", "root", "-g", "root") // keep dir writable
	}
	return args, nil
}

// startActivated binds 127.0.0.1:0, starts bin with the socket as fd 3
// (LISTEN_FDS=1) in its own process group, and stops the group at cleanup.
func startActivated(t testing.TB, bin string, args []string, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	l.Close() // the duplicate in f keeps the socket
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("miltertest: %s: %v", bin, err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
		out.Close()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "rspamd.log")); err == nil {
				t.Logf("rspamd log tail:\n%s", tail(b, 3000))
			}
		}
	})
	return l.Addr().String()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
