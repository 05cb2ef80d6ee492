package walstore

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"

	"github.com/hubedge/hubedge/queue/storage"
)

// readBufs hold the chunks body readers read back from the log.
var readBufs = sync.Pool{New: func() any { b := make([]byte, storage.ChunkSize); return &b }}

// memBody indexes a body whose chunks all lie in the log.
type memBody struct {
	chunks []walRef
	batch  uint64 // number of the batch holding the last chunk
}

// remember keeps the body index in step with op; s.mu is held. A body is
// only indexed from its first chunk on, so an entry always holds the whole
// body; chunks of a body not indexed are noted in unindexed.
func (s *walStore) remember(op logged) {
	switch op.Kind {
	case storage.OpPutChunk:
		b := s.mem[op.ID]
		switch {
		case b == nil && op.Seq == 0:
			b = &memBody{}
			s.mem[op.ID] = b
		case b == nil || int(op.Seq) != len(b.chunks):
			// Not the whole body in order: OpenBody reads it from bbolt
			// once bbolt has this batch.
			delete(s.mem, op.ID)
			s.unindexed[op.ID] = s.written
			return
		}
		b.chunks = append(b.chunks, op.ref)
		b.batch = s.written
	case storage.OpDelete, storage.OpDeleteBody:
		delete(s.mem, op.ID)
		delete(s.unindexed, op.ID)
		s.gone[op.ID] = s.written
	}
}

// OpenBody reads a body from the log while the log holds it all, and from
// bbolt otherwise, once bbolt has every chunk of it.
func (s *walStore) OpenBody(id storage.ID) (io.ReadCloser, error) {
	s.mu.Lock()
	if b := s.mem[id]; b != nil {
		// The entry may grow or go meanwhile. All of a body's chunks lie
		// in one segment or in both: note both use counts.
		r := &walBody{s: s, id: id, refs: slices.Clone(b.chunks), last: b.batch, uses: [2]uint64{s.uses[0].Load(), s.uses[1].Load()}}
		s.mu.Unlock()
		return r, nil
	}
	// A body the log holds only part of, or deleted by a batch bbolt has
	// yet to apply, is read from bbolt once bbolt has that batch.
	n, ok := s.unindexed[id]
	if g, gone := s.gone[id]; gone && g > n {
		n, ok = g, true
	}
	var err error
	if ok {
		s.waitApplied(n)
		if err = s.applyErr; err == nil {
			delete(s.unindexed, id)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	rc, err := s.db.OpenBody(id)
	if errors.Is(err, storage.ErrNotFound) {
		// A message without a body whose record is still only in the
		// log: bbolt knows it once it has everything logged.
		if err = s.sync(); err == nil {
			rc, err = s.db.OpenBody(id)
		}
	}
	return rc, err
}

// walBody reads a body from the log, one verified chunk at a time. If a
// segment holding it starts over meanwhile, bbolt has the chunks, and the
// rest of the body comes from there.
type walBody struct {
	s    *walStore
	id   storage.ID
	last uint64    // the batch holding the last chunk
	uses [2]uint64 // of the segments when the body was opened

	// mu orders Close against a Read on another goroutine (a Deliverer
	// cancelling): the chunk buffer goes back to a pool Enqueue draws on.
	mu   sync.Mutex
	refs []walRef
	err  error   // sticky
	buf  *[]byte // pooled, holds the current chunk
	cur  []byte  // what is left of it
	pos  int64   // body bytes handed out
	rest io.ReadCloser
}

func (r *walBody) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	if r.rest != nil {
		return r.rest.Read(p)
	}
	for len(r.cur) == 0 {
		if len(r.refs) == 0 {
			return 0, io.EOF
		}
		if r.buf == nil {
			r.buf = readBufs.Get().(*[]byte)
		}
		ref := r.refs[0]
		if cap(*r.buf) < ref.n {
			*r.buf = make([]byte, ref.n)
		}
		c := (*r.buf)[:ref.n]
		f := r.s.segs[ref.seg]
		_, err := f.ReadAt(c, ref.off)
		if r.s.uses[ref.seg].Load() != r.uses[ref.seg] {
			return r.fromStore(p)
		}
		if err != nil {
			return 0, fmt.Errorf("queue: read log: %w", err)
		}
		if crc32.Checksum(c, crcTable) != ref.sum {
			return 0, &storage.CorruptError{File: f.Name(), ID: r.id, Offset: r.pos, Reason: "chunk fails its checksum in the log"}
		}
		r.cur, r.refs = c, r.refs[1:]
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.pos += int64(n)
	return n, nil
}

// fromStore goes on reading from bbolt, past what was handed out already,
// once bbolt has the body's last chunk (its first ones were in the
// segment that started over, so bbolt has those).
func (r *walBody) fromStore(p []byte) (int, error) {
	r.release()
	s := r.s
	s.mu.Lock()
	s.waitApplied(r.last)
	err := s.applyErr
	s.mu.Unlock()
	var rc io.ReadCloser
	if err == nil {
		rc, err = s.db.OpenBody(r.id)
	}
	if err != nil {
		r.err = err
		return 0, err
	}
	r.rest = rc
	if _, err := io.CopyN(io.Discard, rc, r.pos); err != nil {
		r.err = fmt.Errorf("queue: resume body %s from the store: %w", r.id, err)
		return 0, r.err
	}
	return rc.Read(p)
}

func (r *walBody) release() {
	if r.buf != nil {
		readBufs.Put(r.buf)
		r.buf, r.cur = nil, nil
	}
	r.refs = nil
}

func (r *walBody) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = storage.ErrClosed
	r.release()
	if r.rest != nil {
		return r.rest.Close()
	}
	return nil
}

// coalesce drops, in place, the ops whose effect a later op of the same
// batch undoes: anything before a Delete of the same ID, chunks before a
// DeleteBody, a record before a newer record. The outcome of applying the
// batch in order is unchanged.
func coalesce(ops []storage.Op) []storage.Op {
	out := ops[:0]
	for _, i := range coalesceIndexes(ops) {
		out = append(out, ops[i])
	}
	return out
}

// coalesceIndexes returns, in order, the indexes of the ops coalesce keeps.
func coalesceIndexes(ops []storage.Op) []int {
	type last struct{ del, delBody, rec int }
	idx := make(map[storage.ID]*last, len(ops)/2)
	for i, op := range ops {
		l := idx[op.ID]
		if l == nil {
			l = &last{-1, -1, -1}
			idx[op.ID] = l
		}
		switch op.Kind {
		case storage.OpDelete:
			l.del = i
		case storage.OpDeleteBody:
			l.delBody = i
		case storage.OpPutRecord:
			l.rec = i
		}
	}
	keep := make([]int, 0, len(ops))
	for i, op := range ops {
		l := idx[op.ID]
		switch {
		case i < l.del:
			continue
		case op.Kind == storage.OpPutChunk && i < l.delBody:
			continue
		case op.Kind == storage.OpPutRecord && i < l.rec:
			continue
		}
		keep = append(keep, i)
	}
	return keep
}
