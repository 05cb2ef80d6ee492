package storage

// QueueHolder is implemented by a Store shared by several processes (a
// pool of hubs on one database) that also keeps, for all of them, which
// delivery queues an administrator suspended, so that a next hop
// suspended from one process stays suspended in every other, in one that
// adopts its messages and in one started later. The queue calls
// WatchHolds once, before it loads any message; the store calls fn at
// once with the identities (NextHop keys) of the suspended delivery
// queues, then again, from a goroutine of its own, whenever it learns
// that the set changed.
type QueueHolder interface {
	WatchHolds(fn func(identities []string))
}
