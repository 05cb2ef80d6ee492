package queue

import "io"

// memBody is a body whose chunks are all held by logged batches.
type memBody struct {
	chunks [][]byte
	batch  uint64 // number of the batch holding the last chunk
}

// coalesce drops, in place, the ops whose effect a later op of the same
// batch undoes: anything before a Delete of the same ID, chunks before a
// DeleteBody, a record before a newer record. The outcome of applying the
// batch in order is unchanged; a message enqueued and delivered within one
// batch costs bbolt only its Delete (of absent keys: no page is dirtied).
func coalesce(ops []Op) []Op {
	type last struct{ del, delBody, rec int }
	idx := make(map[ID]*last, len(ops)/2)
	for i, op := range ops {
		l := idx[op.ID]
		if l == nil {
			l = &last{-1, -1, -1}
			idx[op.ID] = l
		}
		switch op.Kind {
		case OpDelete:
			l.del = i
		case OpDeleteBody:
			l.delBody = i
		case OpPutRecord:
			l.rec = i
		}
	}
	out := ops[:0]
	for i, op := range ops {
		l := idx[op.ID]
		switch {
		case i < l.del:
			continue
		case op.Kind == OpPutChunk && i < l.delBody:
			continue
		case op.Kind == OpPutRecord && i < l.rec:
			continue
		}
		out = append(out, op)
	}
	return out
}

// chunkReader reads a body held in memory; the chunks are never modified.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

func (r *chunkReader) Close() error { r.chunks = nil; return nil }
