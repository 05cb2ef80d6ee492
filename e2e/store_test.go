package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// The store tests run queue.Open in a child process (this test binary,
// re-executed with queueChildEnv set): a child that exits without Close
// leaves the write-ahead log as a crash would, and a child that panics on a
// corrupt file shows as a failed exit instead of taking the suite down.
const queueChildEnv = "HUBEDGE_E2E_QUEUE_CHILD"

// TestQueueChild is the child's entry point; it does nothing in a normal run.
// Modes: "write N" enqueues N messages, printing "ACK id sha256" as each is
// acknowledged, then exits without closing (a crash); "writeclose N" closes
// first; "open" prints "ERR type message" or one "MSG id sha256" per
// message found (no router: nothing is delivered).
func TestQueueChild(t *testing.T) {
	mode := os.Getenv(queueChildEnv)
	if mode == "" {
		t.Skip("child process of the store tests")
	}
	dir := os.Getenv(queueChildEnv + "_DIR")
	out := bufio.NewWriter(os.Stdout)
	q, err := queue.Open(dir)
	if err != nil {
		fmt.Fprintf(out, "ERR %T %v\n", err, err)
		out.Flush()
		os.Exit(0)
	}
	verb, arg, _ := strings.Cut(mode, " ")
	switch verb {
	case "write", "writeclose":
		n, _ := strconv.Atoi(arg)
		for i := range n {
			body := storedBody(i)
			id, err := q.Enqueue(context.Background(), queue.Envelope{From: "a@contoso.com",
				Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}}, strings.NewReader(body))
			if err != nil {
				fmt.Fprintf(out, "ERR %T %v\n", err, err)
				break
			}
			fmt.Fprintf(out, "ACK %s %s\n", id, digest(body))
			out.Flush()
		}
		if verb == "write" {
			os.Exit(0) // no Close: the log stays as a crash leaves it
		}
	case "open":
		for _, mi := range q.Messages(queue.Filter{}) {
			var b strings.Builder
			err := q.SuspendMessage(mi.ID)
			if err == nil {
				err = q.Export(mi.ID, &b)
			}
			if err != nil {
				fmt.Fprintf(out, "ERR %T %v\n", err, err)
				continue
			}
			fmt.Fprintf(out, "MSG %s %s\n", mi.ID, digest(b.String()))
		}
	}
	if err := q.Close(context.Background()); err != nil {
		fmt.Fprintf(out, "ERR %T %v\n", err, err)
	}
	out.Flush()
	os.Exit(0)
}

// storedBody is message i: a few KiB, different for every i.
func storedBody(i int) string {
	return fmt.Sprintf("Message-ID: <%d@store.e2e>\r\nSubject: store %d\r\n\r\n", i, i) +
		strings.Repeat(fmt.Sprintf("line %d of a stored body\r\n", i), 100+i)
}

func digest(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:8]) }

// childResult is what a child printed.
type childResult struct {
	acked map[string]string // id → digest, in order of acks
	order []string
	found map[string]string
	errs  []string
	// crash is set when the child died (a panic, SIGBUS) instead of
	// reporting: its exit status and output.
	crash string
}

// runQueueChild runs the child in mode on dir; a child that dies is
// reported in crash.
func runQueueChild(t *testing.T, dir, mode string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestQueueChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), queueChildEnv+"="+mode, queueChildEnv+"_DIR="+dir)
	out, err := cmd.CombinedOutput()
	r := childResult{acked: map[string]string{}, found: map[string]string{}}
	if err != nil {
		r.crash = fmt.Sprintf("%v: %.600s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "ACK":
			r.acked[f[1]] = f[2]
			r.order = append(r.order, f[1])
		case len(f) == 3 && f[0] == "MSG":
			r.found[f[1]] = f[2]
		case len(f) > 0 && f[0] == "ERR":
			r.errs = append(r.errs, strings.TrimSpace(line))
		}
	}
	return r
}

// walRecord is one record of the current epoch of queue.wal, as described
// in queue/wal.go: magic, CRC-32C, epoch, payload length (20 bytes), then
// the payload.
type walRecord struct{ off, end int64 }

const walMagic = 0x68657751

// walRecords lists the records of the log's current epoch.
func walRecords(t *testing.T, path string) []walRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []walRecord
	var epoch uint64
	for off := int64(0); off+20 <= int64(len(b)); {
		h := b[off:]
		e := binary.LittleEndian.Uint64(h[8:])
		n := int64(binary.LittleEndian.Uint32(h[16:]))
		if binary.LittleEndian.Uint32(h) != walMagic || (off > 0 && e != epoch) || off+20+n > int64(len(b)) {
			break
		}
		epoch = e
		recs = append(recs, walRecord{off, off + 20 + n})
		off += 20 + n
	}
	return recs
}

// crashedQueue writes n messages in a child that exits without closing and
// returns the child's acknowledgements; the log holds at least two records.
func crashedQueue(t *testing.T, n int) (string, childResult) {
	t.Helper()
	dir := t.TempDir()
	w := runQueueChild(t, dir, "write "+strconv.Itoa(n))
	if len(w.order) != n || w.crash != "" {
		t.Fatalf("child acknowledged %d of %d: %v %s", len(w.order), n, w.errs, w.crash)
	}
	if recs := walRecords(t, filepath.Join(dir, queue.WALFile)); len(recs) < 2 {
		t.Skipf("the log holds %d records: bbolt caught up before the child exited", len(recs))
	}
	return dir, w
}

// lost lists the acknowledged messages that the reopened queue lacks or
// holds with another body.
func lost(w, r childResult, ids []string) []string {
	var out []string
	for _, id := range ids {
		if got, ok := r.found[id]; !ok || got != w.acked[id] {
			out = append(out, id)
		}
	}
	return out
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 16)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] ^= 0x5a
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
