// Package pgstore keeps a queue in PostgreSQL, shared by a pool of hubs:
// any hub can deliver any message, and a hub that dies strands nothing,
// because the others adopt its messages once its lease runs out.
//
// Start with Open and hand the store to queue.OpenStore:
//
//	s, err := pgstore.Open(ctx, pgstore.Config{
//		DSN: "host=db1 dbname=hubedge user=hub",
//		Hub: "hub01", // unique in the pool, stable across restarts
//	})
//	...
//	q, err := queue.OpenStore(s, queue.WithRouter(r), queue.WithDeliverer(d))
//
// # Durability
//
// Every Apply is one transaction, sent in one round trip and committed
// with synchronous_commit on: it returns nil only once PostgreSQL has
// flushed the commit (and, where synchronous standbys are configured,
// once they have it), and an error whenever the outcome is unknown, a
// connection lost mid-commit included. The queue batches concurrent
// enqueues into each Apply (group commit), so one commit carries many
// messages under load; Stats counts them, and Config.CommitObserver sees
// each commit's size and round trip (which holds the commit's WAL flush
// but is not the flush alone). Bodies are rows of at most
// storage.ChunkSize bytes (plus a CRC-32C, checked on every read) and
// are read back one row at a time. Open creates the tables, or migrates
// them from an earlier version, in one transaction under an advisory lock,
// so hubs starting together do it once; a schema newer than this release
// fails with ErrSchemaTooNew.
//
// # Ownership
//
// Every message row and body chunk names the hub that owns it, and a hub
// reads and writes only its own (Records, Bodies) through writes that
// name it (a put on another hub's row changes nothing and aborts the
// transaction). Each hub holds a lease, a row of its own renewed every
// third of Config.Lease; each registration at Open bumps the hub's epoch.
// Every write transaction first share-locks the hub's row while the lease
// is unexpired and the epoch is its own, so a hub whose lease ran out, or
// an older process under the same name, writes nothing (ErrLeaseLost) —
// and so can never mark a message in flight, which the queue does before
// handing it to a Deliverer: a hub that lost its lease starts no delivery.
// Leases are timed by the database's clock, which all hubs share. A hub
// whose lease lapsed (the database was out of reach longer than the
// lease) registers again at its next heartbeat under a new epoch and goes
// on with the messages still its own; a write about one that another hub
// adopted meanwhile fails with storage.ErrNotOwned, and the queue drops
// it. Only a hub whose name another process took stays fenced off.
//
// At Open, and at each heartbeat once the queue has called Adopt (the
// queue does so by itself), a hub takes over the messages of every hub
// whose lease has expired, in one transaction that locks their rows FOR
// UPDATE SKIP LOCKED: their records keep their retry times, DSN state,
// suspension and crash counts, and an attempt that was in flight counts
// as a crash, as after a restart. Close releases the lease, so the others
// adopt at their next heartbeat rather than a lease later. A restarted
// hub takes back whatever nobody adopted meanwhile.
//
// Because a message has one owner at a time and the queue commits each
// DSN together with the record change that caused it, every delay and
// failure notification is sent once for the pool.
//
// # Administration of the pool
//
// Besides messages the hubs share administrative state, all of it in
// rows: the delivery queues suspended for the whole pool (HoldQueue; a
// queue opened on the store honours them from before its first delivery,
// through storage.QueueHolder), each hub's queues as it last published
// them (PublishQueues, PoolQueues), and commands for a hub, about a
// message it owns (Send) or about its own queues (SendHub). A NOTIFY
// wakes the hubs concerned at once; a hub that missed it catches up at its
// next heartbeat. Package pgpool builds the pool-wide queue cmdlets on
// them.
package pgstore
