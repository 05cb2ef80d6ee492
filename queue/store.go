package queue

import (
	"bytes"
	"io"
	"sort"
	"sync"
)

// Store is the durable medium beneath a Queue. The queue keeps its working
// state in memory and writes through to the store; the store only has to
// apply batches of operations atomically and durably and give them back
// after a restart. Records are opaque to the store.
//
// Two implementations ship with the package: a bbolt file (Open) and a
// memory map (OpenMemory). A store on a shared database, for pools of hubs,
// can be plugged in with OpenStore.
type Store interface {
	// Apply performs ops in order as one atomic, durable transaction: when
	// it returns nil every op survives a crash; when it returns an error
	// none has been applied. The queue calls Apply from one goroutine at a
	// time and batches the operations of concurrent callers (group commit),
	// so Apply should not add batching delays of its own.
	Apply(ops []Op) error
	// Records calls fn for every message record, in ID order.
	Records(fn func(id ID, rec []byte) error) error
	// Bodies calls fn for every ID that has body chunks, in ID order. The
	// queue uses it after a crash to remove bodies whose record never
	// committed.
	Bodies(fn func(id ID) error) error
	// OpenBody streams the chunks of id's body in sequence order, reading
	// them one at a time.
	OpenBody(id ID) (io.ReadCloser, error)
	// Close releases the store.
	Close() error
}

// OpKind says what an Op does.
type OpKind uint8

// The operations a Store applies.
const (
	// OpPutRecord stores Data as the record of ID, replacing any previous one.
	OpPutRecord OpKind = iota + 1
	// OpPutChunk stores Data as body chunk Seq of ID.
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
	Seq  uint32
	Data []byte
}

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
