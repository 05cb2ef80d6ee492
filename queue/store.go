package queue

import (
	"bytes"
	"io"
	"sort"
	"sync"

	"github.com/hubedge/hubedge/queue/storage"
	"github.com/hubedge/hubedge/queue/walstore"
)

// The Store contract; package storage documents it. A Queue keeps its
// messages in a Store: Open uses the log and bbolt engine of package
// walstore, OpenMemory a map, and OpenStore any other.
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

// memStore keeps everything in maps. It is not durable: see OpenMemory.
type memStore struct {
	mu      sync.RWMutex
	records map[ID][]byte
	bodies  map[ID]map[uint32][]byte
}

func newMemStore() *memStore {
	return &memStore{records: map[ID][]byte{}, bodies: map[ID]map[uint32][]byte{}}
}

func (s *memStore) Apply(ops []Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		switch op.Kind {
		case OpPutRecord:
			s.records[op.ID] = bytes.Clone(op.Data)
		case OpPutChunk:
			m := s.bodies[op.ID]
			if m == nil {
				m = map[uint32][]byte{}
				s.bodies[op.ID] = m
			}
			m[op.Seq] = bytes.Clone(op.Data)
		case OpDelete:
			delete(s.records, op.ID)
			delete(s.bodies, op.ID)
		case OpDeleteBody:
			delete(s.bodies, op.ID)
		}
	}
	return nil
}

func (s *memStore) Records(fn func(ID, []byte) error) error {
	s.mu.RLock()
	ids := sortedKeys(s.records)
	s.mu.RUnlock()
	for _, id := range ids {
		s.mu.RLock()
		rec, ok := s.records[id]
		s.mu.RUnlock()
		if ok {
			if err := fn(id, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *memStore) Bodies(fn func(ID) error) error {
	s.mu.RLock()
	ids := sortedKeys(s.bodies)
	s.mu.RUnlock()
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) OpenBody(id ID) (io.ReadCloser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.bodies[id]
	rs := make([]io.Reader, 0, len(m))
	for i := uint32(0); ; i++ {
		c, ok := m[i]
		if !ok {
			break
		}
		rs = append(rs, bytes.NewReader(c))
	}
	if len(rs) == 0 {
		if _, ok := s.records[id]; !ok {
			return nil, ErrNotFound
		}
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

func (s *memStore) Close() error { return nil }

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
