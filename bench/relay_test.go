package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as a relay under test (re-exec'd by
// startRelay through RELAY_CMD): it greets on BENCH_LISTEN_ADDR and, like a
// relay with workers, starts a child in its process group.
func TestMain(m *testing.M) {
	if os.Getenv("BENCH_FAKE_RELAY") == "1" {
		fakeRelay()
		return
	}
	os.Exit(m.Run())
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
	got := expand("relay -l {LISTEN} -n {NEXTHOP} -q {QUEUE} {LISTEN}", "127.0.0.1:1", "127.0.0.1:2", "/q")
	want := "relay -l 127.0.0.1:1 -n 127.0.0.1:2 -q /q 127.0.0.1:1"
	if got != want {
		t.Errorf("expand = %q, want %q", got, want)
	}
}

func TestGatewayArgs(t *testing.T) {
	got := strings.Join(gatewayArgs("127.0.0.1:2526", "127.0.0.1:2527", "/q", " -cpuprofile /p "), " ")
	want := "-mode anonymous-relay -listen 127.0.0.1:2526 -smarthost 127.0.0.1:2527 -remote 127.0.0.0/8 -queue /q -cpuprofile /p"
	if got != want {
		t.Errorf("gatewayArgs = %q, want %q", got, want)
	}
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
func TestStartRelayProcessGroup(t *testing.T) {
	t.Setenv("BENCH_FAKE_RELAY", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := loadConfig(envOf(nil))
	c.ListenPort, c.NexthopPort = freePort(t), freePort(t)
	c.RelayCmd = exe + " -test.run=^$ {LISTEN} {QUEUE}"
	logf, err := os.Create(filepath.Join(t.TempDir(), "relay.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := startRelay(ctx, c, "", "", t.TempDir(), logf)
	if err != nil {
		t.Fatal(err)
	}
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
	if err := portFree(c.ListenPort); err != nil {
		t.Errorf("listen port still busy after stop: %v", err)
	}
}

func TestStartRelayDiesEarly(t *testing.T) {
	c, _ := loadConfig(envOf(nil))
	c.ListenPort = freePort(t)
	c.RelayCmd = "/bin/false"
	logf, err := os.Create(filepath.Join(t.TempDir(), "relay.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	start := time.Now()
	_, err = startRelay(context.Background(), c, "", "", t.TempDir(), logf)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("err = %v, want an early-exit error", err)
	}
	if time.Since(start) > c.ReadyTimeout/2 {
		t.Error("an exited relay was waited for until the ready timeout")
	}
}
