package walstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"
	"unsafe"

	bolt "go.etcd.io/bbolt"

	"github.com/hubedge/hubedge/queue/storage"
)

// StoreFile is the name of the bbolt file that Open keeps under its
// directory.
const StoreFile = "queue.db"

// ErrDirInUse is returned by Open when another process (or another Open
// in this one) has the directory open.
var ErrDirInUse = errors.New("queue directory in use by another process")

var (
	bucketRecords = []byte("records")
	// bucketChunks holds body chunks, each followed by its checksum.
	bucketChunks = []byte("chunks")
	// bucketBodies held the unchecked chunks of stores written before
	// checksums; Open moves them to bucketChunks (see migrateBodies).
	bucketBodies = []byte("bodies")
)

// boltStore keeps records and body chunks in one bbolt file. Body chunk
// keys are the ID followed by the big-endian chunk number, so one
// message's chunks are adjacent and ordered and IDs sort by arrival. A
// chunk's value is its data followed by the CRC-32C of key and data,
// little-endian: bbolt checks only its meta pages, so a damaged body
// would otherwise be delivered as if intact.
type boltStore struct {
	db   *bolt.DB
	path string
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
		// One attempt at the file lock: another process holding it is
		// a configuration error to report, not a reason to wait.
		Timeout: time.Nanosecond,
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
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: open store: %w", err)
	}
	db.AllocSize = boltGrowStep(0)
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketChunks} {
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
	if err := migrateBodies(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("queue: add checksums to stored bodies: %w", err)
	}
	return &boltStore{db: db, path: path}, nil
}

// boltGrowStep is how much bbolt adds to a file of size bytes that must
// grow: half its size, from 1 MiB up to bbolt's default of 16 MiB, so that
// a new store is not 16 MiB of free pages and a large one still grows (a
// truncate and an fsync each time) rarely.
func boltGrowStep(size int64) int {
	return int(min(max(size/2, 1<<20), 16<<20))
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

func chunkKey(id storage.ID, seq uint32) []byte {
	k := make([]byte, len(id)+4)
	copy(k, id)
	binary.BigEndian.PutUint32(k[len(id):], seq)
	return k
}

func (s *boltStore) Apply(ops []storage.Op) error {
	defer s.dropPages()
	return s.db.Update(func(tx *bolt.Tx) error {
		// Only the writer reads AllocSize, and it holds the write lock.
		s.db.AllocSize = boltGrowStep(tx.Size())
		recs, bodies := tx.Bucket(bucketRecords), tx.Bucket(bucketChunks)
		for _, op := range ops {
			var err error
			switch op.Kind {
			case storage.OpPutRecord:
				err = recs.Put([]byte(op.ID), op.Data)
			case storage.OpPutChunk:
				k := chunkKey(op.ID, op.Seq)
				err = bodies.Put(k, sealChunk(k, op.Data))
			case storage.OpDelete:
				if err = recs.Delete([]byte(op.ID)); err == nil {
					err = deleteChunks(bodies, op.ID)
				}
			case storage.OpDeleteBody:
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

// dropPages takes the file's pages out of the process's resident set
// after a write transaction: bbolt reads the nodes it rewrites through its
// mapping, neighbouring chunks included, and those pages would otherwise
// stay resident (see dropMapped).
func (s *boltStore) dropPages() {
	_ = s.db.View(func(tx *bolt.Tx) error {
		dropMapped(s.db.Info().Data, uintptr(tx.Size()))
		return nil
	})
}

// dropValue takes the pages of v, a value read in tx, out of the resident
// set once it has been copied, if v lies in the file's mapping: bbolt
// hands out some values from memory of its own (an inline bucket's), and
// advice on those would zero the Go heap.
func dropValue(db *bolt.DB, tx *bolt.Tx, v []byte) {
	base, size := db.Info().Data, uintptr(tx.Size())
	if p, n := uintptr(unsafe.Pointer(unsafe.SliceData(v))), uintptr(len(v)); n > 0 && p >= base && p+n <= base+size {
		dropMapped(p, n)
	}
}

func deleteChunks(b *bolt.Bucket, id storage.ID) error {
	c := b.Cursor()
	prefix := []byte(id)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func (s *boltStore) Records(fn func(storage.ID, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			return fn(storage.ID(k), bytes.Clone(v))
		})
	})
}

func (s *boltStore) Bodies(fn func(storage.ID) error) error {
	var ids []storage.ID
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChunks).Cursor()
		for k, _ := c.First(); k != nil; {
			if len(k) < 4 {
				k, _ = c.Next()
				continue
			}
			id := storage.ID(k[:len(k)-4])
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

func (s *boltStore) OpenBody(id storage.ID) (io.ReadCloser, error) {
	r := &boltBody{db: s.db, path: s.path, id: id}
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
			return nil, storage.ErrNotFound
		}
	}
	r.cur, r.seq = first, 1
	return r, nil
}

func (s *boltStore) Close() error { return s.db.Close() }

// boltBody reads one chunk per read transaction, so a long read of a large
// body never pins a transaction (and with it the file's free pages).
type boltBody struct {
	db   *bolt.DB
	path string
	id   storage.ID
	seq  uint32
	pos  int64 // body bytes before the next chunk
	cur  []byte
	eof  bool
}

// chunk reads and verifies chunk seq; nil means there is none.
func (r *boltBody) chunk(seq uint32) ([]byte, error) {
	var out []byte
	var ok bool
	err := r.db.View(func(tx *bolt.Tx) error {
		k := chunkKey(r.id, seq)
		if v := tx.Bucket(bucketChunks).Get(k); v != nil {
			out, ok = openChunk(k, v)
			out = bytes.Clone(out)
			dropValue(r.db, tx, v)
		}
		return nil
	})
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return nil, storage.ErrClosed
	}
	if err == nil && out != nil && !ok {
		err = &storage.CorruptError{File: r.path, ID: r.id, Offset: r.pos, Reason: fmt.Sprintf("chunk %d fails its checksum", seq)}
	}
	r.pos += int64(len(out))
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

var _ storage.Store = (*boltStore)(nil)

// sealChunk returns data followed by the checksum of key and data. It
// appends into data's spare capacity when there is room (the queue leaves
// storage.ChunkRoom bytes, which the Store contract lets Apply use,
// sparing a copy of every body), never modifying data itself.
func sealChunk(key, data []byte) []byte {
	sum := crc32.Update(crc32.Checksum(key, crcTable), crcTable, data)
	return binary.LittleEndian.AppendUint32(data[:len(data):cap(data)], sum)
}

// chunkTrailer is the room a stored chunk needs after its data.
const chunkTrailer = 4

// The queue's spare capacity must hold the trailer.
var _ [storage.ChunkRoom - chunkTrailer]struct{}

// openChunk splits a stored value into data and checksum and verifies it
// against key.
func openChunk(key, v []byte) ([]byte, bool) {
	if len(v) < 4 {
		return nil, false
	}
	data := v[:len(v)-4]
	sum := crc32.Update(crc32.Checksum(key, crcTable), crcTable, data)
	return data, sum == binary.LittleEndian.Uint32(v[len(data):])
}

// migrateBodies moves the chunks of a store written before checksums
// (bucketBodies) to bucketChunks, sealing each, in transactions of about
// 64 MiB so a large store is never held in one; a crash midway leaves
// each chunk in exactly one bucket and the next Open resumes. The
// checksums vouch only for what the old file held at that moment.
func migrateBodies(db *bolt.DB) error {
	for {
		done := false
		err := db.Update(func(tx *bolt.Tx) error {
			old := tx.Bucket(bucketBodies)
			if old == nil {
				done = true
				return nil
			}
			c, dst := old.Cursor(), tx.Bucket(bucketChunks)
			moved := 0
			for k, v := c.First(); k != nil && moved < 64<<20; k, v = c.First() {
				k = bytes.Clone(k)
				if err := dst.Put(k, sealChunk(k, v)); err != nil {
					return err
				}
				if err := c.Delete(); err != nil {
					return err
				}
				moved += len(v)
			}
			if k, _ := c.First(); k == nil {
				done = true
				return tx.DeleteBucket(bucketBodies)
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}
