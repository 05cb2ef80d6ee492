package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubedge/hubedge/agent/milter/miltertest"
)

// milter=rspamd: startRspamd returns once rspamd answers a milter
// negotiation, in a session of its own whose CPU the harness can read, and
// stop ends it. Skipped where rspamd is not installed.
func TestStartRspamd(t *testing.T) {
	if _, err := exec.LookPath("rspamd"); err != nil {
		t.Skip("rspamd is not installed (apt-get install rspamd)")
	}
	var dns benchDNS
	defer dns.close()
	logf, err := os.Create(filepath.Join(t.TempDir(), "milter.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), miltertest.StartupTimeout+time.Minute)
	defer cancel()
	m, err := startRspamd(ctx, freePort(t), filepath.Join(t.TempDir(), "rspamd"), dns.addr(), logf)
	if err != nil {
		t.Fatal(err)
	}
	defer m.stop()
	if len(sessionPIDs(m.SID())) == 0 {
		t.Errorf("no process in rspamd's session %d", m.SID())
	}
	if err := probeMilter(m.addr); err != nil {
		t.Errorf("a second negotiation: %v", err)
	}
	m.stop()
	select {
	case <-m.waited:
	default:
		t.Error("rspamd still running after stop")
	}
}
