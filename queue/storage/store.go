package storage

import "io"

// Store is the durable medium beneath a queue. The queue keeps its working
// state in memory and writes through to the store, which only has to apply
// batches of operations atomically and durably and give them back after a
// restart. Records and chunks are opaque bytes to the store.
//
// The contract every implementation keeps (queuetest.TestStore checks it):
//
//   - Atomicity: Apply performs its ops as one transaction: a crash at any
//     moment leaves all of a batch or none of it, never a part. When Apply
//     returns nil they are all applied. When it returns an error the queue
//     takes the batch as not applied and acknowledges nothing on it; the
//     store should have applied none of it, but may (a failed sync whose
//     data reached the disk after all) still show all of it after a
//     restart.
//   - Durability: once Apply returns nil its ops survive a crash of the
//     process (and, for a disk store, of the machine): the queue
//     acknowledges messages on that return.
//   - Order: the ops of one Apply take effect in slice order, and each
//     Apply after the one before it (a put after a delete of the same ID
//     recreates it). A read started after Apply returned sees its ops.
//   - Data: Apply must not keep OpPutChunk Data, nor the ops slice, once it
//     returns: the queue reuses those buffers for the next chunks. It may
//     write into a chunk's spare capacity (Data[len(Data):cap(Data)],
//     at least ChunkRoom bytes) during the call, say to append a checksum
//     without a copy; nobody reads those bytes. OpPutRecord Data is never
//     modified after Apply is called and may be kept.
//   - Concurrency: the queue calls Apply from one goroutine at a time,
//     batching the operations of concurrent callers itself (group
//     commit), so Apply should not add batching delays of its own. The
//     queue calls Records and Bodies when it opens. OpenBody and reads of
//     the bodies it returns run concurrently with each other and with
//     Apply, and must be safe for that.
type Store interface {
	// Apply performs ops in order as one atomic, durable transaction.
	Apply(ops []Op) error
	// Records calls fn for every message record, in ID order. The slice
	// passed to fn is valid only during the call.
	Records(fn func(id ID, rec []byte) error) error
	// Bodies calls fn for every ID that has body chunks, in ID order. The
	// queue uses it after a crash to remove bodies whose record never
	// committed.
	Bodies(fn func(id ID) error) error
	// OpenBody streams the chunks of id's body in sequence order, from
	// chunk 0 up to the first missing number, reading them one at a time
	// rather than loading the whole body. It fails with ErrNotFound when
	// id has neither chunks nor a record; a record without chunks has an
	// empty body. A read that finds a chunk damaged fails with an error
	// wrapping ErrCorrupt.
	OpenBody(id ID) (io.ReadCloser, error)
	// Close releases the store. Everything Apply committed stays durable.
	Close() error
}

// OpKind says what an Op does.
type OpKind uint8

// The operations a Store applies.
const (
	// OpPutRecord stores Data as the record of ID, replacing any previous one.
	OpPutRecord OpKind = iota + 1
	// OpPutChunk stores Data as body chunk Seq of ID, replacing any
	// previous chunk of that number.
	OpPutChunk
	// OpDelete removes the record and every body chunk of ID.
	OpDelete
	// OpDeleteBody removes every body chunk of ID, keeping its record.
	OpDeleteBody
)

// Op is one write in a Store batch.
type Op struct {
	Kind OpKind
	ID   ID
	// Seq numbers the chunks of a body from 0 (OpPutChunk only).
	Seq  uint32
	Data []byte
}

const (
	// ChunkSize is the largest Data the queue gives an OpPutChunk: a
	// store can size its values by it.
	ChunkSize = 256 << 10
	// ChunkRoom is the spare capacity, at least, after the Data of every
	// OpPutChunk the queue applies.
	ChunkRoom = 8
)
