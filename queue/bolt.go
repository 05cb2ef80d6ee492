package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StoreFile is the name of the bbolt file that Open keeps under its
// directory.
const StoreFile = "queue.db"

var (
	bucketRecords = []byte("records")
	bucketBodies  = []byte("bodies")
)

// boltStore keeps records and body chunks in one bbolt file. Body chunk
// keys are the ID followed by the big-endian chunk number, so one
// message's chunks are adjacent and ordered and IDs sort by arrival.
type boltStore struct {
	db *bolt.DB
}

func openBolt(dir string) (*boltStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	if err := checkBoltFile(path); err != nil {
		return nil, err
	}
	db, err := openBoltFile(path, &bolt.Options{
		Timeout: time.Second, // another process holds the file lock
		// The freelist is written by every commit. Skipping that saves one
		// page per commit, but bbolt then rebuilds it on open by scanning
		// the file in a goroutine of its own, where a corrupt page panics
		// beyond openBoltFile's recover and kills the process. The applier
		// commits large batches, so the extra page costs next to nothing.
		FreelistType: bolt.FreelistMapType,
		// Reserve address space so that growing the file rarely remaps
		// (a remap waits for every reader).
		InitialMmapSize: 1 << 30,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: open store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketBodies} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("queue: init store: %w", err)
	}
	return &boltStore{db: db}, nil
}

// openBoltFile is bolt.Open for a file that may be corrupt. bbolt trusts
// its file: a damaged page makes Open panic, and a file shorter than its
// metadata says faults in the mmap (SIGBUS). Both become an error, so that
// a corrupt store is reported rather than crashing the process; the file's
// descriptor and lock then stay held until the process exits.
func openBoltFile(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("corrupt file %s: %v", path, p)
		}
	}()
	return bolt.Open(path, 0o600, o)
}

func chunkKey(id ID, seq uint32) []byte {
	k := make([]byte, len(id)+4)
	copy(k, id)
	binary.BigEndian.PutUint32(k[len(id):], seq)
	return k
}

func (s *boltStore) Apply(ops []Op) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		recs, bodies := tx.Bucket(bucketRecords), tx.Bucket(bucketBodies)
		for _, op := range ops {
			var err error
			switch op.Kind {
			case OpPutRecord:
				err = recs.Put([]byte(op.ID), op.Data)
			case OpPutChunk:
				err = bodies.Put(chunkKey(op.ID, op.Seq), op.Data)
			case OpDelete:
				if err = recs.Delete([]byte(op.ID)); err == nil {
					err = deleteChunks(bodies, op.ID)
				}
			case OpDeleteBody:
				err = deleteChunks(bodies, op.ID)
			default:
				err = fmt.Errorf("queue: unknown store op %d", op.Kind)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func deleteChunks(b *bolt.Bucket, id ID) error {
	c := b.Cursor()
	prefix := []byte(id)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func (s *boltStore) Records(fn func(ID, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			return fn(ID(k), bytes.Clone(v))
		})
	})
}

func (s *boltStore) Bodies(fn func(ID) error) error {
	var ids []ID
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBodies).Cursor()
		for k, _ := c.First(); k != nil; {
			if len(k) < 4 {
				k, _ = c.Next()
				continue
			}
			id := ID(k[:len(k)-4])
			ids = append(ids, id)
			// Skip the rest of this message's chunks.
			k, _ = c.Seek(append([]byte(id), 0xff, 0xff, 0xff, 0xff, 0xff))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

func (s *boltStore) OpenBody(id ID) (io.ReadCloser, error) {
	r := &boltBody{db: s.db, id: id}
	first, err := r.chunk(0)
	if err != nil {
		return nil, err
	}
	if first == nil {
		var exists bool
		s.db.View(func(tx *bolt.Tx) error {
			exists = tx.Bucket(bucketRecords).Get([]byte(id)) != nil
			return nil
		})
		if !exists {
			return nil, ErrNotFound
		}
	}
	r.cur, r.seq = first, 1
	return r, nil
}

func (s *boltStore) Close() error { return s.db.Close() }

// boltBody reads one chunk per read transaction, so a long read of a large
// body never pins a transaction (and with it the file's free pages).
type boltBody struct {
	db  *bolt.DB
	id  ID
	seq uint32
	cur []byte
	eof bool
}

func (r *boltBody) chunk(seq uint32) ([]byte, error) {
	var out []byte
	err := r.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBodies).Get(chunkKey(r.id, seq)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return nil, ErrClosed
	}
	return out, err
}

func (r *boltBody) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		c, err := r.chunk(r.seq)
		if err != nil {
			return 0, err
		}
		if c == nil {
			r.eof = true
			return 0, io.EOF
		}
		r.cur, r.seq = c, r.seq+1
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

func (r *boltBody) Close() error { r.cur, r.eof = nil, true; return nil }

var (
	_ Store = (*boltStore)(nil)
	_ Store = (*memStore)(nil)
)
