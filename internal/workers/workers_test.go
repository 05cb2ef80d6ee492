package workers_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/workers"
)

// batch runs n jobs on p that are all running at once, and returns once
// they have all returned; during is called while they run.
func batch(p *workers.Pool, n int, during func()) {
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	for range n {
		p.Go(func() {
			started.Done()
			<-release
			done.Done()
		})
	}
	started.Wait()
	during()
	close(release)
	done.Wait()
}

// goroutines reads the stacks of every goroutine and counts those whose
// stack holds fn, and of those the ones blocked in state ("select",
// "semacquire"...). Only the stacks tell a goroutine blocked waiting for
// a job from one about to, or one that has ended from one ending.
func goroutines(fn, state string) (all, blocked int) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte(fn)) {
			all++
			header, _, _ := bytes.Cut(g, []byte("\n"))
			if bytes.Contains(header, []byte("["+state)) {
				blocked++
			}
		}
	}
	return all, blocked
}

const poolWork = "internal/workers.(*Pool).work("

// until waits, reading the stacks again and again, until cond holds; the
// deadline marks a failure, not a delay.
func until(t *testing.T, cond func() bool, failure func() string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal(failure())
		}
	}
}

// settle waits until the pool's goroutines number n, all waiting for a
// job.
func settle(t *testing.T, n int) {
	t.Helper()
	var all, waiting int
	until(t, func() bool {
		all, waiting = goroutines(poolWork, "select")
		return all == n && waiting == n
	}, func() string {
		return fmt.Sprintf("%d goroutines of the pool, %d waiting for a job; want %d waiting", all, waiting, n)
	})
}

// A second batch runs on the goroutines the first left waiting, up to the
// pool's bound, and starts new ones only beyond them.
func TestPoolReuse(t *testing.T) {
	for _, tc := range []struct {
		name          string
		maxIdle       int
		first, second int
		idle          int // waiting after the first batch
		started       int // new goroutines for the second
	}{
		{"nothing kept", 0, 3, 3, 0, 3},
		{"all kept", 8, 3, 3, 3, 0},
		{"kept up to the bound", 2, 5, 3, 2, 1},
		{"more than were kept", 4, 2, 5, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := workers.New(tc.maxIdle)
			batch(p, tc.first, func() {})
			settle(t, tc.idle)
			if got := p.Idle(); got != tc.idle {
				t.Errorf("Idle() = %d, want %d", got, tc.idle)
			}
			batch(p, tc.second, func() {
				if all, _ := goroutines(poolWork, ""); all != tc.idle+tc.started {
					t.Errorf("second batch ran on %d goroutines, want %d kept and %d new", all, tc.idle, tc.started)
				}
			})
			p.Close()
			settle(t, 0) // a goroutine may still be returning from work
			if got := p.Idle(); got != 0 {
				t.Errorf("after Close: Idle() = %d", got)
			}
		})
	}
}

// Close waits for a job still running, and ends the idle goroutines.
func TestPoolCloseWaits(t *testing.T) {
	p := workers.New(4)
	release, finished := make(chan struct{}), make(chan struct{})
	p.Go(func() { <-release; close(finished) })
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	// Close is waiting once its goroutine blocks in the WaitGroup.
	until(t, func() bool {
		_, waiting := goroutines("internal/workers.(*Pool).Close(", "sync.WaitGroup.Wait")
		return waiting == 1
	}, func() string { return "Close never waited for the running job" })
	select {
	case <-closed:
		t.Fatal("Close returned while a job ran")
	default:
	}
	close(release)
	<-closed
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the job did")
	}
	p.Close() // again: a no-op
}
