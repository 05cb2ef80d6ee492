package smtpx_test

import (
	"bytes"
	"io"
	"slices"
	"sync"

	"github.com/hubedge/hubedge/queue"
)

// memStore is a queue.Store in memory whose Apply can be held, to prove that
// the SMTP 250 waits for the commit.
type memStore struct {
	mu      sync.Mutex
	records map[queue.ID][]byte
	chunks  map[queue.ID]map[uint32][]byte

	// When hold is set, an Apply carrying a record signals applying and
	// waits for release.
	hold      bool
	applying  chan struct{}
	release   chan struct{}
	committed chan queue.ID
}

func newMemStore(hold bool) *memStore {
	return &memStore{records: map[queue.ID][]byte{}, chunks: map[queue.ID]map[uint32][]byte{}, hold: hold,
		applying: make(chan struct{}, 16), release: make(chan struct{}), committed: make(chan queue.ID, 16)}
}

func (s *memStore) Apply(ops []queue.Op) error {
	var rec queue.ID
	for _, op := range ops {
		if op.Kind == queue.OpPutRecord {
			rec = op.ID
		}
	}
	if s.hold && rec != "" {
		s.applying <- struct{}{}
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		switch op.Kind {
		case queue.OpPutRecord:
			s.records[op.ID] = bytes.Clone(op.Data)
		case queue.OpPutChunk:
			if s.chunks[op.ID] == nil {
				s.chunks[op.ID] = map[uint32][]byte{}
			}
			s.chunks[op.ID][op.Seq] = bytes.Clone(op.Data)
		case queue.OpDelete:
			delete(s.records, op.ID)
			delete(s.chunks, op.ID)
		case queue.OpDeleteBody:
			delete(s.chunks, op.ID)
		}
	}
	if rec != "" {
		select {
		case s.committed <- rec:
		default:
		}
	}
	return nil
}

func (s *memStore) Records(fn func(queue.ID, []byte) error) error {
	s.mu.Lock()
	ids := make([]queue.ID, 0, len(s.records))
	for id := range s.records {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		s.mu.Lock()
		rec, ok := s.records[id]
		s.mu.Unlock()
		if ok {
			if err := fn(id, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *memStore) Bodies(fn func(queue.ID) error) error {
	s.mu.Lock()
	ids := make([]queue.ID, 0, len(s.chunks))
	for id := range s.chunks {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) OpenBody(id queue.ID) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var buf bytes.Buffer
	for seq := uint32(0); ; seq++ {
		c, ok := s.chunks[id][seq]
		if !ok {
			break
		}
		buf.Write(c)
	}
	return io.NopCloser(&buf), nil
}

func (s *memStore) Close() error { return nil }

func queueFilter() queue.Filter { return queue.Filter{} }
