// Package storage is the contract between a queue.Queue and the durable
// medium beneath it: the Store interface, the operations it applies, the
// message ID type, the errors a store reports and the clock it may time
// itself by. Package queue re-exports the names its users meet (Store,
// Op, ID, Clock, the errors), so code using the queue never needs this
// package; it exists so that a store (the log and bbolt engine in
// queue/walstore, a database of a later release) can implement the
// contract without importing the queue it serves, which imports it.
//
// To write a Store, implement its methods as their documentation below
// says, and run it through queuetest.TestStore from its tests.
package storage
