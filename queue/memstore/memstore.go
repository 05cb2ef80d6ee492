// Package memstore is a storage.Store in memory: nothing survives the
// process. queue.OpenMemory uses it, for tests and throw-away relays; a
// test that reopens a queue on the same Store sees what a restart of a
// durable one would.
package memstore

import (
	"bytes"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/hubedge/hubedge/queue/storage"
)

// Store keeps records and body chunks in maps. It is safe for concurrent
// use.
type Store struct {
	mu      sync.RWMutex
	records map[storage.ID][]byte
	bodies  map[storage.ID]map[uint32][]byte
}

// New returns an empty store.
func New() *Store {
	return &Store{records: map[storage.ID][]byte{}, bodies: map[storage.ID]map[uint32][]byte{}}
}

// String says the store keeps nothing across a restart, for the server's
// start log line.
func (s *Store) String() string { return "memory (not durable)" }

// Apply applies ops in order, under one lock; it copies what it keeps.
func (s *Store) Apply(ops []storage.Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		switch op.Kind {
		case storage.OpPutRecord:
			s.records[op.ID] = bytes.Clone(op.Data)
		case storage.OpPutChunk:
			m := s.bodies[op.ID]
			if m == nil {
				m = map[uint32][]byte{}
				s.bodies[op.ID] = m
			}
			m[op.Seq] = bytes.Clone(op.Data)
		case storage.OpDelete:
			delete(s.records, op.ID)
			delete(s.bodies, op.ID)
		case storage.OpDeleteBody:
			delete(s.bodies, op.ID)
		}
	}
	return nil
}

// Records calls fn for every record, in ID order.
func (s *Store) Records(fn func(storage.ID, []byte) error) error {
	s.mu.RLock()
	ids := sortedIDs(s.records)
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

// Bodies calls fn for every ID with body chunks, in ID order.
func (s *Store) Bodies(fn func(storage.ID) error) error {
	s.mu.RLock()
	ids := sortedIDs(s.bodies)
	s.mu.RUnlock()
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// OpenBody reads id's chunks from 0 up to the first missing one.
func (s *Store) OpenBody(id storage.ID) (io.ReadCloser, error) {
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
			return nil, storage.ErrNotFound
		}
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

// Close does nothing: the maps live as long as s.
func (s *Store) Close() error { return nil }

var _ storage.Store = (*Store)(nil)

func sortedIDs[V any](m map[storage.ID]V) []storage.ID { return slices.Sorted(maps.Keys(m)) }
