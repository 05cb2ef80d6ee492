package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
)

const crashChildEnv = "HUBEDGE_QUEUE_CRASH_CHILD"

// crashChild enqueues from 32 goroutines into the directory named by the
// environment until it is killed, printing "ID sha256" for each message
// only after Enqueue has returned.
func crashChild() {
	q, err := queue.Open(os.Getenv(crashChildEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			for {
				body := make([]byte, 512+r.IntN(8<<10))
				for i := range body {
					body[i] = byte('a' + r.IntN(26))
				}
				if g == 0 { // one writer of large bodies exercises the early chunk flushes
					body = bytes.Repeat(body, 300)
				}
				env := queue.Envelope{From: "a@contoso.com", Recipients: []queue.Recipient{{Address: "b@fabrikam.com"}}}
				id, err := q.Enqueue(context.Background(), env, bytes.NewReader(body))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				sum := sha256.Sum256(body)
				line := string(id) + " " + hex.EncodeToString(sum[:]) + "\n"
				mu.Lock()
				os.Stdout.WriteString(line)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	acked := map[queue.ID]string{}
	const rounds = 20
	for round := range rounds {
		got := runAndKill(t, dir, time.Duration(rand.IntN(150))*time.Millisecond)
		for id, sum := range got {
			acked[id] = sum
		}
		verifyStore(t, dir, acked, round)
	}
	t.Logf("%d acknowledged messages verified after %d SIGKILLs", len(acked), rounds)
}

// runAndKill starts the child, lets it run for delay after its first
// acknowledgement, SIGKILLs it and returns the complete lines it printed.
func runAndKill(t *testing.T, dir string, delay time.Duration) map[queue.ID]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	got := map[queue.ID]string{}
	add := func(l string) {
		id, sum, ok := strings.Cut(l, " ")
		if ok && len(sum) == 64 { // a line cut by the kill is not an acknowledgement
			got[queue.ID(id)] = sum
		}
	}
	select {
	case l, ok := <-lines:
		if !ok {
			cmd.Wait()
			t.Fatalf("child exited before its first enqueue: %s", stderr.String())
		}
		add(l)
	case <-time.After(waitTimeout):
		cmd.Process.Kill()
		t.Fatal("child produced nothing")
	}
	killAt := time.After(delay) // the random moment of the crash
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			add(l)
		case <-killAt:
			cmd.Process.Signal(syscall.SIGKILL)
			killAt = nil
		}
	}
	<-readDone
	cmd.Wait()
	if stderr.Len() > 0 {
		t.Fatalf("child: %s", stderr.String())
	}
	return got
}

// verifyStore reopens dir and checks that every acknowledged message is
// there with its body intact.
func verifyStore(t *testing.T, dir string, acked map[queue.ID]string, round int) {
	t.Helper()
	q, err := queue.Open(dir)
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer q.Close(context.Background())
	// Verify from 32 goroutines: their SuspendMessage commits are grouped.
	ids := make(chan queue.ID)
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if err := verifyOne(q, id, acked[id]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for id := range acked {
		select {
		case ids <- id:
		case err := <-errs:
			close(ids)
			wg.Wait()
			t.Fatalf("round %d: %v", round, err)
		}
	}
	close(ids)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("round %d: %v", round, err)
	default:
	}
}

func verifyOne(q *queue.Queue, id queue.ID, want string) error {
	if err := q.SuspendMessage(id); err != nil {
		return fmt.Errorf("acknowledged message %s lost: %w", id, err)
	}
	h := sha256.New()
	if err := q.Export(id, h); err != nil {
		return fmt.Errorf("export %s: %w", id, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("message %s body hash %s, want %s", id, got, want)
	}
	return nil
}

// A second server on a queue directory another process has open fails at
// once with ErrDirInUse, the error it can print, rather than waiting for
// the other's lock.
func TestOpenDirInUseByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// The child's first acknowledged message proves it has the directory.
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatalf("the other process acknowledged nothing: %v", err)
	}
	q, err := queue.Open(dir)
	if err == nil {
		q.Close(context.Background())
	}
	if !errors.Is(err, queue.ErrDirInUse) || !strings.Contains(err.Error(), "queue directory in use by another process") {
		t.Fatalf("Open of a directory in use = %v, want ErrDirInUse", err)
	}
}
