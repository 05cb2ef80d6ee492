package workers_test

import (
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

// settle waits until p has idle goroutines waiting and the process has
// goroutines in all: a job's goroutine becomes idle, or ends, just after
// the job returns. The deadline marks a failure, not a delay.
func settle(t *testing.T, p *workers.Pool, idle, goroutines int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); p.Idle() != idle || runtime.NumGoroutine() != goroutines; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle goroutines of %d, want %d of %d", p.Idle(), runtime.NumGoroutine(), idle, goroutines)
		}
	}
}

// A second batch runs on the goroutines the first left idle, up to the
// pool's bound, and starts new ones only beyond them.
func TestPoolReuse(t *testing.T) {
	for _, tc := range []struct {
		name          string
		maxIdle       int
		first, second int
		idle          int // after the first batch
		started       int // new goroutines for the second
	}{
		{"nothing kept", 0, 3, 3, 0, 3},
		{"all kept", 8, 3, 3, 3, 0},
		{"kept up to the bound", 2, 5, 3, 2, 1},
		{"more than were kept", 4, 2, 5, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			p := workers.New(tc.maxIdle)
			batch(p, tc.first, func() {})
			settle(t, p, tc.idle, base+tc.idle)
			before := base + tc.idle
			batch(p, tc.second, func() {
				if got := runtime.NumGoroutine() - before; got != tc.started {
					t.Errorf("second batch started %d goroutines, want %d", got, tc.started)
				}
			})
			p.Close()
			settle(t, p, 0, base) // Close ended every goroutine of the pool
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
	select {
	case <-closed:
		t.Fatal("Close returned while a job ran")
	case release <- struct{}{}:
	}
	<-closed
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the job did")
	}
	p.Close() // again: a no-op
}
