package walstore

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
)

// flakyStore fails every Apply with ENOSPC while full is set.
type flakyStore struct {
	storage.Store
	full atomic.Bool
}

func (f *flakyStore) Apply(ops []storage.Op) error {
	if f.full.Load() {
		return syscall.ENOSPC
	}
	return f.Store.Apply(ops)
}

// stepClock records AfterFunc calls; the test fires them by hand.
type stepClock struct {
	mu     sync.Mutex
	delays []time.Duration
	fns    []func()
	fired  int
	added  chan struct{}
}

func (c *stepClock) Now() time.Time { return time.Unix(0, 0) }

func (c *stepClock) AfterFunc(d time.Duration, f func()) storage.Timer {
	c.mu.Lock()
	c.delays, c.fns = append(c.delays, d), append(c.fns, f)
	c.mu.Unlock()
	c.added <- struct{}{}
	return stoppedTimer{}
}

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }

// fire waits for a retry timer to be set, then fires every timer not
// fired yet, in the order they were set.
func (c *stepClock) fire(t *testing.T) {
	t.Helper()
	select {
	case <-c.added:
	case <-time.After(10 * time.Second):
		t.Fatal("no retry timer set")
	}
	c.mu.Lock()
	fns := c.fns[c.fired:]
	c.fired = len(c.fns)
	c.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

func (c *stepClock) setDelays() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.delays...)
}

// After bbolt fails (a full disk), writes are refused with ErrStoreFailed
// (wrapping ENOSPC) while the applier retries the same batches with a
// doubling delay; once bbolt takes them, the failure clears by itself and
// writes are accepted again, with nothing acknowledged lost.
func TestWALRetriesFailedStore(t *testing.T) {
	dir := t.TempDir()
	s, fs, clk := flakyWAL(t, dir)
	defer s.Close()
	fs.full.Store(true)
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec A")}}); err != nil {
		t.Fatalf("logging A: %v", err)
	}
	if err := s.sync(); !errors.Is(err, storage.ErrStoreFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("sync on a full disk: %v, want ErrStoreFailed wrapping ENOSPC", err)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for len(clk.setDelays()) < len(want) {
		clk.fire(t)
	}
	delays := clk.setDelays()
	for i := range want {
		if delays[i] != want[i]*time.Second {
			t.Fatalf("retry delays %v, want %v seconds", delays, want)
		}
	}
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "B", Data: []byte("rec B")}}); !errors.Is(err, storage.ErrStoreFailed) {
		t.Fatalf("Apply on a full disk: %v, want ErrStoreFailed", err)
	}

	fs.full.Store(false) // space freed: the next write is accepted
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "C", Data: []byte("rec C")}}); err != nil {
		t.Fatalf("Apply after space was freed: %v", err)
	}
	if got := recordsOf(t, s); got["A"] != "rec A" || got["C"] != "rec C" || len(got) != 2 {
		t.Fatalf("records %v, want A and C (B was refused)", got)
	}
}

// The timer alone clears the failure: no write needs to arrive.
func TestWALRetryTimerClearsFailure(t *testing.T) {
	dir := t.TempDir()
	s, fs, clk := flakyWAL(t, dir)
	defer s.Close()
	fs.full.Store(true)
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec A")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.sync(); !errors.Is(err, storage.ErrStoreFailed) {
		t.Fatalf("sync on a full disk: %v", err)
	}
	fs.full.Store(false)
	clk.fire(t)
	deadline := time.Now().Add(10 * time.Second)
	for s.sync() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("failure not cleared: %v", s.sync())
		}
		runtime.Gosched()
	}
}

// gateStore holds every Apply until release is closed.
type gateStore struct {
	storage.Store
	release chan struct{}
}

func (g *gateStore) Apply(ops []storage.Op) error { <-g.release; return g.Store.Apply(ops) }

// flakyWAL opens a log in dir in front of a bbolt store that can be made
// to fail, retrying on a clock the test steps.
func flakyWAL(t *testing.T, dir string) (*walStore, *flakyStore, *stepClock) {
	t.Helper()
	db, err := openBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := &flakyStore{Store: db}
	clk := &stepClock{added: make(chan struct{}, 16)}
	s, err := startWAL(dir, fs, clk)
	if err != nil {
		t.Fatal(err)
	}
	return s, fs, clk
}

// gatedWAL opens a log in dir in front of a bbolt store held by a gate.
func gatedWAL(t *testing.T, dir string) (*walStore, *gateStore) {
	t.Helper()
	db, err := openBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateStore{Store: db, release: make(chan struct{})}
	s, err := startWAL(dir, g, storage.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	return s, g
}

// Op data logged but not yet in bbolt is bounded: once maxPending bytes
// wait for bbolt, Apply holds its caller until bbolt takes them.
func TestWALBoundsPendingData(t *testing.T) {
	dir := t.TempDir()
	s, g := gatedWAL(t, dir)
	defer s.Close()
	big := make([]byte, maxPending) // a record: chunks stay in the log, not in memory
	if err := s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: big}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Apply([]storage.Op{{Kind: storage.OpPutRecord, ID: "A", Data: []byte("rec")}}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		held := s.throttled > 0
		s.mu.Unlock()
		if held {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Apply returned (%v) with %d bytes pending", err, maxPending)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Apply neither held nor returned")
		}
		runtime.Gosched()
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
