package storage

// Adopter is implemented by a Store shared by several processes (a pool of
// hubs on one database), whose process can take over the messages of
// another that died, while its queue runs. The queue calls Adopt once,
// after it has loaded what Records gave it; from then on the store calls
// fn, from a goroutine of its own and one message at a time, for each
// message record it has taken over, and the queue schedules it as if it
// had read it when it opened. The store owns the message once fn is
// called: it must already have made the takeover durable, so a crash
// right after loses nothing (the next owner adopts it again). An error
// from fn means the queue could not take the message (it is closing, the
// record is unreadable); the message stays in the store and the store
// must not hand it to fn again while this queue runs: the next owner
// will adopt it.
type Adopter interface {
	Adopt(fn func(id ID, rec []byte) error)
}
