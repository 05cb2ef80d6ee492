package mxtest

import (
	"fmt"
	"log"
	"sync"
)

// TB is the subset of testing.TB the harness needs. *testing.T,
// *testing.B and *testing.F satisfy it; a demo program can pass its own
// implementation (Fatalf exits, Cleanup runs at shutdown).
//
// Fatalf is only called from the goroutine that called the constructor
// or method, never from the harness's server goroutines, so the
// testing.T rule about FailNow holds. smtptest's harness takes the same
// TB, so one Standalone serves both.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Standalone is a TB for programs and examples that run the harness
// outside go test. Logf writes to Log (log.Default() when nil), Fatalf
// panics with the formatted message, and Close runs the registered
// cleanups in reverse order, as testing does when a test ends. The zero
// value is ready to use.
type Standalone struct {
	Log *log.Logger

	mu       sync.Mutex
	cleanups []func()
}

var _ TB = (*Standalone)(nil)

// Helper does nothing; it exists to satisfy TB.
func (s *Standalone) Helper() {}

// Cleanup registers fn to run at Close.
func (s *Standalone) Cleanup(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, fn)
}

// Fatalf panics with the formatted message.
func (s *Standalone) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Logf logs the formatted message.
func (s *Standalone) Logf(format string, args ...any) {
	l := s.Log
	if l == nil {
		l = log.Default()
	}
	l.Printf(format, args...)
}

// Close runs the cleanups registered so far, last first, and forgets
// them, so it may be called more than once.
func (s *Standalone) Close() {
	s.mu.Lock()
	fns := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
