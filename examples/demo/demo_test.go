package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestDemo plays the whole story as `go run ./examples/demo` does and
// checks that every step passed, within the promised 15 seconds, leaving
// no temporary directory and no goroutine behind.
func TestDemo(t *testing.T) {
	defer goleak.VerifyNone(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.MkdirTemp uses it, so leftovers show up here
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	err := run(ctx, &out, options{})
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the demo took %v, over 15 s", d)
	}
	// Without -v: one line per step, as the README shows it.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 6 {
		t.Errorf("%d lines of output, want 6", len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, fmt.Sprintf("[%d] ", i+1)) || !strings.Contains(l, "✓") {
			t.Errorf("line %d: %q, want step %d passed", i+1, l, i+1)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := durations.ReplaceAllString(out.String(), "D"), durations.ReplaceAllString(string(readme), "D"); !strings.Contains(want, got) {
		t.Errorf("README.md does not show the demo's output:\n%s", out.String())
	}
	left, err := filepath.Glob(filepath.Join(tmp, "hubedge-demo-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("left behind: %v %v", left, err)
	}
}

// durations matches the run times in the demo's output.
var durations = regexp.MustCompile(`\(\d+(\.\d+)?(ms|s)\)`)

// TestDemoKeep checks that -keep keeps the Maildirs and queues.
func TestDemoKeep(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the whole story")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{Keep: true, Verbose: true}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "hubedge-demo-*", "mailboxes", "contoso.com", "alice", "new", "*"))
	if len(left) != 2 {
		t.Errorf("kept %d messages in Alice's mailbox, want 2 (step 1 and the NDR)", len(left))
	}
	if !strings.Contains(out.String(), "sink dialogue") {
		t.Error("-v printed no SMTP transcript")
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}

// TestDemoFailureIsAnError checks that a demo that cannot play its story
// reports an error (main exits 1) and still cleans up after itself.
func TestDemoFailureIsAnError(t *testing.T) {
	defer goleak.VerifyNone(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the transports cannot start
	var out bytes.Buffer
	if err := run(ctx, &out, options{}); err == nil {
		t.Fatalf("run with a cancelled context succeeded:\n%s", out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "hubedge-demo-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
