package walstore

import (
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
)

// walRef locates a body chunk's data in the log.
type walRef struct {
	seg uint8
	off int64
	n   int
	sum uint32 // CRC-32C of the data
}

// logged is an op waiting for the applier. A chunk's Data is nil: it is
// read back from the log at ref when needed.
type logged struct {
	storage.Op
	ref walRef
}

// batch is what one Apply logged.
type batch struct {
	ops []logged
	at  time.Time
}

// applier moves logged batches into bbolt once they are applyDelay old,
// and those a caller waits for at once (see due).
func (s *walStore) applier() {
	defer close(s.done)
	backoff := minRetryDelay
	delay := time.NewTimer(applyDelay)
	defer delay.Stop()
	for {
		s.mu.Lock()
		for len(s.pending) == 0 && !s.closing {
			s.cond.Wait()
		}
		if len(s.pending) == 0 {
			s.mu.Unlock()
			return
		}
		n, wait := s.due(time.Now())
		if n == 0 {
			s.mu.Unlock()
			delay.Reset(wait)
			select {
			case <-s.urgent:
			case <-delay.C:
			}
			delay.Stop()
			continue
		}
		taken := s.pending[:n:n]
		s.pending = s.pending[n:]
		deleted := laterDeletes(s.pending)
		size := 0
		for _, b := range taken {
			for _, op := range b.ops {
				size += len(op.Data)
			}
		}
		s.pendSize -= size
		s.applying = size
		upto := s.applied + uint64(n)
		s.mu.Unlock()

		err := s.applyBatches(taken, deleted)
		s.mu.Lock()
		s.attempts++
		s.applying = 0
		if err != nil {
			// bbolt took none of it: keep the batches, ahead of anything
			// newer, and retry after a delay (Close gives up at once and
			// leaves them in the log for the next Open).
			s.pending = append(taken, s.pending...)
			s.pendSize += size
			s.applyErr = fmt.Errorf("%w: apply log to store: %w", storage.ErrStoreFailed, err)
			s.cond.Broadcast()
			closing := s.closing
			select {
			case <-s.urgent: // whoever hurried this attempt has its outcome
			default:
			}
			s.mu.Unlock()
			if closing {
				return
			}
			s.sleep(backoff)
			backoff = min(2*backoff, maxRetryDelay)
			continue
		}
		backoff = minRetryDelay
		s.applyErr = nil
		s.applied = upto
		for id, n := range s.gone {
			if n <= upto {
				delete(s.gone, id)
			}
		}
		s.cond.Broadcast()
		s.mu.Unlock()
		clear(taken) // its slots are no longer part of s.pending
	}
}

// due says how many of the oldest pending batches to apply now and, if
// none, how long until the oldest is due; s.mu is held. Due are the
// batches someone waits for (need), and, once the oldest is applyDelay
// old, every batch half that old: the applier wakes about once per
// applyDelay/2, and only the few messages whose puts and delete straddle
// the cut reach bbolt needlessly. Everything is due on Close and when too
// much op data is held in memory.
func (s *walStore) due(now time.Time) (int, time.Duration) {
	if s.closing || s.pendSize >= applyBytes {
		return len(s.pending), 0
	}
	n := 0
	if s.need > s.applied {
		n = int(min(s.need-s.applied, uint64(len(s.pending))))
	}
	if now.Sub(s.pending[0].at) >= applyDelay {
		n = max(n, 1)
		for n < len(s.pending) && now.Sub(s.pending[n].at) >= applyDelay/2 {
			n++
		}
	}
	if n > 0 {
		return n, 0
	}
	return 0, s.pending[0].at.Add(applyDelay).Sub(now)
}

// laterDeletes returns the IDs that batches not yet taken delete. They are
// in the log and synced (a batch is pending only once it is), so the ops
// of the batches taken on those messages need not reach bbolt: a message
// logged just before the cut and delivered after it is never written
// there. If the process dies before the delete reaches bbolt, the log
// replays it, and a delete of an ID bbolt lacks changes nothing.
func laterDeletes(pending []batch) map[storage.ID]struct{} {
	var ids map[storage.ID]struct{}
	for _, b := range pending {
		for _, op := range b.ops {
			if op.Kind == storage.OpDelete {
				if ids == nil {
					ids = map[storage.ID]struct{}{}
				}
				ids[op.ID] = struct{}{}
			}
		}
	}
	return ids
}

// applyBatches gives bbolt what is left of batches once ops undone later
// (among them, or by deleted) are dropped, reading the surviving chunks back from the log,
// in transactions of about maxApplyTx bytes (ops are blind writes, so
// retrying all of them after a failure midway ends in the same state). A
// batch set that comes down to nothing costs no transaction.
func (s *walStore) applyBatches(batches []batch, deleted map[storage.ID]struct{}) error {
	var ops []logged
	for _, b := range batches {
		for _, op := range b.ops {
			if _, ok := deleted[op.ID]; !ok {
				ops = append(ops, op)
			}
		}
	}
	ops = coalesceLogged(ops, s.stored)
	for len(ops) > 0 {
		n, size := 0, 0
		for n < len(ops) && (n == 0 || size < maxApplyTx) {
			size += len(ops[n].Data) + ops[n].ref.n
			if k := ops[n].Kind; k == storage.OpDelete || k == storage.OpDeleteBody {
				size += s.stored[ops[n].ID]
			}
			n++
		}
		if err := s.applyTx(ops[:n]); err != nil {
			return err
		}
		ops = ops[n:]
	}
	return nil
}

// applyBufs hold the chunks the applier reads back from the log for one
// transaction, with room for bbolt's checksum after them; they go back once
// Apply returns, as no Store keeps chunk data past Apply.
var applyBufs = sync.Pool{New: func() any { b := make([]byte, storage.ChunkSize+chunkTrailer); return &b }}

// applyTx applies ops in one bbolt transaction.
func (s *walStore) applyTx(ops []logged) error {
	out := make([]storage.Op, len(ops))
	var held []*[]byte
	defer func() {
		for _, p := range held {
			applyBufs.Put(p)
		}
	}()
	for i, op := range ops {
		out[i] = op.Op
		if op.Kind != storage.OpPutChunk {
			continue
		}
		var data []byte
		if op.ref.n <= storage.ChunkSize {
			p := applyBufs.Get().(*[]byte)
			held = append(held, p)
			data = (*p)[:op.ref.n]
		} else { // not written by this queue's Enqueue
			data = make([]byte, op.ref.n, op.ref.n+chunkTrailer)
		}
		f := s.segs[op.ref.seg]
		if _, err := f.ReadAt(data, op.ref.off); err != nil {
			return fmt.Errorf("queue: read log: %w", err)
		}
		if crc32.Checksum(data, crcTable) != op.ref.sum {
			return &storage.CorruptError{File: f.Name(), Offset: op.ref.off, Reason: fmt.Sprintf("chunk %d of %s fails its checksum", op.Seq, op.ID)}
		}
		out[i].Data = data
	}
	if err := s.db.Apply(out); err != nil {
		return err
	}
	for _, op := range out {
		switch op.Kind {
		case storage.OpPutRecord:
			s.stored[op.ID] += 0
		case storage.OpPutChunk:
			s.stored[op.ID] += len(op.Data)
		case storage.OpDeleteBody:
			if _, ok := s.stored[op.ID]; ok {
				s.stored[op.ID] = 0
			}
		case storage.OpDelete:
			delete(s.stored, op.ID)
		}
	}
	return nil
}

// coalesceLogged is coalesce for logged ops, and drops as well the deletes
// of IDs bbolt has nothing of (stored), which would cost a transaction and
// change nothing.
func coalesceLogged(ops []logged, stored map[storage.ID]int) []logged {
	plain := make([]storage.Op, len(ops))
	for i, op := range ops {
		plain[i] = op.Op
	}
	keep := coalesceIndexes(plain)
	out := ops[:0]
	for _, i := range keep {
		op := ops[i]
		if op.Kind == storage.OpDelete || op.Kind == storage.OpDeleteBody {
			if _, ok := stored[op.ID]; !ok {
				continue
			}
		}
		out = append(out, op)
	}
	return out
}

// sleep waits d on the clock, or less if someone hurries the applier.
func (s *walStore) sleep(d time.Duration) {
	fired := make(chan struct{}, 1)
	t := s.clock.AfterFunc(d, func() { fired <- struct{}{} })
	select {
	case <-fired:
	case <-s.urgent:
		t.Stop()
	}
}
