package walstore

import "github.com/hubedge/hubedge/queue/storage"

// Hooks for the package's external tests, which run the engine under a
// queue.

// Crash stops s as a crash would: see crashWAL.
func Crash(s storage.Store) { crashWAL(s.(*walStore)) }

// BreakBolt closes the bbolt file under s, so that every later apply fails.
func BreakBolt(s storage.Store) error { return s.(*walStore).db.(*boltStore).db.Close() }

// Sync waits until bbolt holds everything s logged.
func Sync(s storage.Store) error { return s.(*walStore).sync() }
