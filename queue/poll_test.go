package queue_test

import (
	"runtime"
	"time"
)

// pollUntil polls cond until it holds or waitTimeout passes; for state that
// settles right after an event (a deletion committed after the FAIL event,
// for instance). It yields between polls instead of sleeping.
func pollUntil(cond func() bool) bool {
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); {
		if cond() {
			return true
		}
		runtime.Gosched()
	}
	return cond()
}

// timeout is the failure deadline of a single wait.
func timeout() <-chan time.Time { return time.After(waitTimeout) }
