package queue

import (
	"sort"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// The Store contract; package storage documents it. A Queue keeps its
// messages in a Store: Open uses the log and bbolt engine of package
// walstore, OpenMemory the maps of package memstore, and OpenStore any
// other.
type (
	// Store is the durable medium beneath a Queue: see storage.Store for
	// the contract an implementation keeps.
	Store = storage.Store
	// Op is one write in a Store batch.
	Op = storage.Op
	// OpKind says what an Op does.
	OpKind = storage.OpKind
)

// The operations a Store applies.
const (
	OpPutRecord  = storage.OpPutRecord
	OpPutChunk   = storage.OpPutChunk
	OpDelete     = storage.OpDelete
	OpDeleteBody = storage.OpDeleteBody
)

func sortedKeys[V any](m map[ID]V) []ID {
	ids := make([]ID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// CorruptError says where stored data is damaged. It wraps ErrCorrupt.
type CorruptError = storage.CorruptError

// The files Open keeps in its directory.
const (
	// WALFile is the write-ahead log; its second segment is WALFile+".1".
	WALFile = walstore.WALFile
	// StoreFile is the bbolt file the log is applied to.
	StoreFile = walstore.StoreFile
)
