package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as a relay under test (re-exec'd by
// startRelay through RELAY_CMD): with BENCH_FAKE_RELAY=1 it greets on
// BENCH_LISTEN_ADDR and, like a relay with workers, starts a child in its
// process group; with BENCH_FAKE_RELAY=proxy it passes every connection
// through to BENCH_NEXTHOP_ADDR. As the bench binary does, it also runs
// the Go load tools (_gosource, _gosink) for the runs of runner tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "_gosink" || os.Args[1] == "_gosource") {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stdout))
	}
	switch os.Getenv("BENCH_FAKE_RELAY") {
	case "1":
		fakeRelay()
		return
	case "proxy":
		proxyRelay()
		return
	}
	os.Exit(m.Run())
}

// proxyRelay is a TCP pass-through from BENCH_LISTEN_ADDR to
// BENCH_NEXTHOP_ADDR. With BENCH_FAKE_MANAGE=1 it also serves, on
// BENCH_MANAGE_ADDR, a /metrics that wants the bearer token of the
// BENCH_MANAGE_TOKEN file.
func proxyRelay() {
	ln, err := net.Listen("tcp4", os.Getenv("BENCH_LISTEN_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Getenv("BENCH_FAKE_MANAGE") == "1" {
		tok, err := os.ReadFile(os.Getenv("BENCH_MANAGE_TOKEN"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		want := "Bearer " + strings.TrimSpace(string(tok))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != want || r.URL.Path != "/metrics" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			fmt.Fprintln(w, "fake_metric 1")
		})
		go func() { _ = http.ListenAndServe(os.Getenv("BENCH_MANAGE_ADDR"), h) }()
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			up, err := net.Dial("tcp4", os.Getenv("BENCH_NEXTHOP_ADDR"))
			if err != nil {
				return
			}
			defer up.Close()
			go func() { _, _ = io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
			_, _ = io.Copy(c, up)
		}()
	}
}

func fakeRelay() {
	ln, err := net.Listen("tcp4", os.Getenv("BENCH_LISTEN_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Getenv("BENCH_FAKE_CHILD") == "" {
		// A child that would outlive a relay killing only its leader.
		child, _ := os.StartProcess("/bin/sleep", []string{"sleep", "300"}, &os.ProcAttr{})
		_ = child
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		c.Write([]byte("220 fake relay\r\n"))
		c.Close()
	}
}

func TestExpand(t *testing.T) {
	env := relayEnv{Listen: "127.0.0.1:1", Nexthop: "127.0.0.1:2", Queue: "/q", Manage: "127.0.0.1:3", ManageToken: "/t", Milter: "127.0.0.1:4", DNS: "127.0.0.1:5"}
	tests := []struct{ cmd, want string }{
		{"relay -l {LISTEN} -n {NEXTHOP} -q {QUEUE} {LISTEN}", "relay -l 127.0.0.1:1 -n 127.0.0.1:2 -q /q 127.0.0.1:1"},
		{"relay -manage {MANAGE} -manage-token {MANAGE_TOKEN} -milter {MILTER}", "relay -manage 127.0.0.1:3 -manage-token /t -milter 127.0.0.1:4"},
		{"relay {UNKNOWN} {DNS}", "relay {UNKNOWN} 127.0.0.1:5"},
	}
	for _, tt := range tests {
		if got := env.expand(tt.cmd); got != tt.want {
			t.Errorf("expand(%q) = %q, want %q", tt.cmd, got, tt.want)
		}
	}
	vars := strings.Join(env.environ(1, 2), "\n")
	for _, want := range []string{"BENCH_LISTEN_ADDR=127.0.0.1:1", "BENCH_QUEUE_DIR=/q", "BENCH_MANAGE_ADDR=127.0.0.1:3",
		"BENCH_MANAGE_TOKEN=/t", "BENCH_MILTER_ADDR=127.0.0.1:4", "BENCH_DNS_ADDR=127.0.0.1:5", "BENCH_LISTEN_PORT=1", "BENCH_NEXTHOP_PORT=2"} {
		if !strings.Contains(vars, want+"\n") && !strings.HasSuffix(vars, want) {
			t.Errorf("environment lacks %s", want)
		}
	}
}

func TestGatewayArgs(t *testing.T) {
	for _, tt := range []struct{ queue, want string }{
		{"/q", "-mode anonymous-relay -listen 127.0.0.1:2526 -smarthost 127.0.0.1:2527 -remote 127.0.0.0/8 -queue /q -cpuprofile /p"},
		{"", "-mode anonymous-relay -listen 127.0.0.1:2526 -smarthost 127.0.0.1:2527 -remote 127.0.0.0/8 -cpuprofile /p"},
	} {
		got := strings.Join(gatewayArgs("127.0.0.1:2526", "127.0.0.1:2527", tt.queue, " -cpuprofile /p "), " ")
		if got != tt.want {
			t.Errorf("gatewayArgs(queue %q) = %q, want %q", tt.queue, got, tt.want)
		}
	}
}

// testEnv is the relay environment of a run on c's ports with queue q.
func testEnv(c *config, q string) relayEnv {
	return relayEnv{Listen: fmt.Sprintf("127.0.0.1:%d", c.ListenPort), Nexthop: fmt.Sprintf("127.0.0.1:%d", c.NexthopPort), Queue: q}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRelay runs the relay in its own session; stop kills the whole
// process group, children included.
// startFakeRelay starts this test binary as the fake relay (fakeRelay,
// which starts a child) through startRelay with the knobs of env.
func startFakeRelay(t *testing.T, env map[string]string) *relayProc {
	t.Helper()
	t.Setenv("BENCH_FAKE_RELAY", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := loadConfig(envOf(env))
	c.ListenPort, c.NexthopPort = freePort(t), freePort(t)
	logf, err := os.Create(filepath.Join(t.TempDir(), "relay.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := startRelay(ctx, c, exe+" -test.run=^$ {LISTEN} {QUEUE}", "", "", testEnv(c, t.TempDir()), logf)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStartRelayProcessGroup(t *testing.T) {
	r := startFakeRelay(t, nil)
	sid := r.SID()
	// The child starts after the listener; poll until the group has it.
	deadline := time.Now().Add(10 * time.Second)
	for len(sessionPIDs(sid)) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	pids := sessionPIDs(sid)
	if len(pids) < 2 {
		t.Fatalf("session %d has %v, want the relay and its child", sid, pids)
	}
	r.stop()
	// A child killed with SIGKILL may take a moment to finish exiting
	// (orphans are reaped by init, not by us); only one still alive after
	// the deadline survived stop.
	alive := func(pid int) bool {
		st, err := readStat(pid)
		if err != nil || st.Session != sid || syscall.Kill(pid, 0) != nil {
			return false
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		return !strings.Contains(string(b), "zombie")
	}
	for _, pid := range pids {
		for deadline := time.Now().Add(10 * time.Second); alive(pid) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("process %d of the relay survived stop", pid)
		}
	}
	if err := portFree(r.port); err != nil {
		t.Errorf("listen port still busy after stop: %v", err)
	}
}

// TestStartRelayPinned starts the fake relay with RELAY_CPUS and reads the
// CPU list of every process of its session: the relay's own PID (the one
// the bench reads CPU time from) and the child it started both carry it.
func TestStartRelayPinned(t *testing.T) {
	if findTool("taskset") == "" {
		t.Skip("taskset (util-linux) is not installed")
	}
	r := startFakeRelay(t, map[string]string{"RELAY_CPUS": "0"})
	defer r.stop()
	cpus := func(pid int) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return err.Error()
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				return strings.TrimSpace(v)
			}
		}
		return "no Cpus_allowed_list"
	}
	if got := cpus(r.cmd.Process.Pid); got != "0" {
		t.Errorf("relay %d runs on CPUs %q, want 0", r.cmd.Process.Pid, got)
	}
	for _, pid := range sessionPIDs(r.SID()) {
		if got := cpus(pid); got != "0" {
			t.Errorf("process %d of the relay runs on CPUs %q, want 0", pid, got)
		}
	}
}

func TestStartRelayDiesEarly(t *testing.T) {
	c, _ := loadConfig(envOf(nil))
	c.ListenPort = freePort(t)
	logf, err := os.Create(filepath.Join(t.TempDir(), "relay.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	start := time.Now()
	_, err = startRelay(context.Background(), c, "/bin/false", "", "", testEnv(c, t.TempDir()), logf)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("err = %v, want an early-exit error", err)
	}
	if time.Since(start) > c.ReadyTimeout/2 {
		t.Error("an exited relay was waited for until the ready timeout")
	}
}
