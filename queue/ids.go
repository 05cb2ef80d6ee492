package queue

import "github.com/hubedge/hubedge/queue/storage"

// ID identifies a message in the queue: 26 characters of Crockford base32
// that sort by arrival time (see storage.ID).
type ID = storage.ID

// Clock is the queue's source of time (see storage.Clock); SystemClock is
// the wall clock and queuetest.FakeClock one moved by hand.
type (
	Clock       = storage.Clock
	Timer       = storage.Timer
	SystemClock = storage.SystemClock
)
