package queue

// Hooks for the package's external tests.

// NewMemStore returns the memory store OpenMemory uses.
func NewMemStore() Store { return newMemStore() }

// CrashMemStore returns what a crash would leave of the memory store s.
func CrashMemStore(s Store) Store { return s.(*memStore).clone() }
