package walstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubedge/hubedge/queue/storage"
)

// WALFile is the name of the write-ahead log that Open keeps beside
// StoreFile. The log has two segments: WALFile and WALFile+".1".
const WALFile = "queue.wal"

// walStore makes a boltStore cheap to commit to: Apply appends the batch to
// a write-ahead log and fdatasyncs it (one sync, in place, in a file whose
// space was allocated beforehand), and a background goroutine applies the
// logged batches to bbolt later, in large transactions. Most messages never
// reach bbolt at all: one delivered within applyDelay of its arrival has its
// puts and its delete logged before the applier looks at them, and the
// applier drops the lot (coalesce). Body chunks are not held in memory
// meanwhile: deliveries and the applier read them back from the log.
//
// The log is two segment files used in turn. Apply moves on to the other
// segment, overwriting it from its start under the next epoch, when bbolt
// holds everything logged or the current segment reaches walSegmentSize;
// in the second case only the other segment's batches, which are a whole
// segment older, must be in bbolt first, so messages still in flight stay
// out of it. Open replays both segments, older epoch first, so a crash
// between a log sync and the bbolt commit loses nothing. Reads of records
// wait until bbolt holds every batch logged before them. While bbolt fails
// (a full disk), every Apply and read returns ErrStoreFailed, and the
// applier retries the same batches after 1 s, doubling to 30 s, and at once
// for each Apply that arrives meanwhile (so that acceptance resumes as soon
// as space is freed); a segment is never overwritten while bbolt lacks its
// batches, so a crash meanwhile loses nothing.
//
// Log record: magic, CRC-32C of the rest, epoch, payload length, payload
// (the encoded ops). An epoch is a random run number (new at each Open)
// and a generation counting segment switches, so that Open knows which
// segment is older. Replay stops at a torn tail or a record of another
// epoch and fails on damage elsewhere (see replaySegment).
type walStore struct {
	db    storage.Store // bbolt, but for tests
	segs  [2]*os.File
	clock storage.Clock // times the applier's retries

	// Apply's state; Apply is only ever called by the committer goroutine.
	cur   int       // segment being written
	off   int64     // next write offset in it
	alloc [2]int64  // bytes of each segment known to be allocated
	last  [2]uint64 // number of the last batch written to each segment
	run   uint64    // epoch = run<<genBits | gen
	gen   uint64
	fresh bool // the current segment is to be emptied before its first record
	buf   []byte
	refs  []walRef
	// observe, if set, learns of each commit (WithCommitObserver).
	observe CommitObserver

	// uses counts, per segment, the times it started over. A body reader
	// that finds it changed after reading from the segment may have read
	// newer records: bbolt has its chunks by then (a segment only starts
	// over once bbolt holds all its batches).
	uses [2]atomic.Uint64

	mu        sync.Mutex
	cond      *sync.Cond
	written   uint64  // batches logged
	applied   uint64  // batches the applier is done with
	pending   []batch // logged, not yet applied
	pendSize  int     // bytes of op data held in memory by pending
	applying  int     // bytes of op data in the batch bbolt is taking
	throttled int     // Apply calls held until bbolt takes pending data
	applyErr  error   // the last bbolt attempt failed; cleared by a success
	attempts  uint64  // bbolt transactions tried, successful or not
	closing   bool
	done      chan struct{}
	urgent    chan struct{} // cuts the applier's batching delay short

	// stored holds the IDs bbolt has a record or chunks of (only the
	// applier touches it): deletes of anything else need no transaction.
	// The value is the chunk bytes the applier gave bbolt for the ID (0
	// for what Open found there), which its delete costs a transaction.
	stored map[storage.ID]int

	// need is the newest batch someone waits to see in bbolt.
	need uint64

	// mem indexes the bodies whose chunks all lie in the log, so that
	// OpenBody reads them there: the delivery of a fresh message starts as
	// soon as it is logged and never waits for bbolt. An entry goes with
	// its message, or when the log overwrites a segment it points into
	// (bbolt has those chunks by then). unindexed holds, for bodies the
	// log holds only part of, the batch bbolt must have applied before
	// OpenBody may read them from bbolt.
	mem       map[storage.ID]*memBody
	unindexed map[storage.ID]uint64
	// gone holds the IDs deleted by a batch bbolt has yet to apply.
	gone map[storage.ID]uint64
}

const (
	walMagic       = 0x68657751 // "heWQ"
	walHeader      = 20         // magic, crc, epoch, length
	walFirstAlloc  = 1 << 20    // a new segment's allocation, doubled up to walPrealloc
	walPrealloc    = 8 << 20    // from there, a segment grows in steps of this much
	walSegmentSize = 128 << 20  // beyond this, move on to the other segment
	genBits        = 24         // of an epoch, the generation
	genMask        = 1<<genBits - 1

	// The applier gives bbolt a logged batch once it is applyDelay old,
	// so that a message delivered meanwhile (its puts followed by its
	// delete) never touches bbolt, and the two syncs of a bbolt
	// transaction are shared by many messages. Readers that need bbolt
	// current, a log about to start over, or applyBytes of op data held
	// in memory make it take everything at once.
	applyDelay = 2 * time.Second
	applyBytes = 8 << 20
	// maxPending bounds the op data held in memory for the applier (body
	// chunks are not: they stay in the log): beyond it, Apply waits for
	// bbolt.
	maxPending = 2 * applyBytes
	// maxApplyTx bounds the op data, chunks included, that one bbolt
	// transaction takes, counting a delete as the chunk bytes it removes,
	// and so the applier's memory and the file pages it reads: bbolt
	// copies what it rewrites (the chunks sharing a leaf with those put or
	// deleted) through its mapping into buffers of its own, about twice
	// this while it commits.
	maxApplyTx = 2 << 20

	// A failed bbolt transaction is retried after minRetryDelay, doubling
	// up to maxRetryDelay.
	minRetryDelay = time.Second
	maxRetryDelay = 30 * time.Second
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Open opens (creating if needed) the store kept in dir: the log segments
// WALFile and WALFile+".1" in front of the bbolt file StoreFile. It replays
// what the log holds from before a crash and starts the goroutine that
// applies the log to bbolt; Close stops it. clock times the retries of a
// failing bbolt (nil: the wall clock). Only one process may have dir open:
// another Open fails at once with ErrDirInUse.
func Open(dir string, clock storage.Clock, opts ...Option) (storage.Store, error) {
	if clock == nil {
		clock = storage.SystemClock{}
	}
	s, err := openWAL(dir, clock)
	if err != nil {
		return nil, err
	}
	// Set before the first Apply, which only the caller can make.
	for _, o := range opts {
		o.apply(s)
	}
	return s, nil
}

// String is the store's directory, for the server's start log line.
func (s *walStore) String() string { return filepath.Dir(s.segs[0].Name()) }

func openWAL(dir string, clock storage.Clock) (*walStore, error) {
	db, err := openBolt(dir)
	if err != nil {
		return nil, err
	}
	return startWAL(dir, db, clock)
}

// startWAL opens the log in dir in front of db, replays it and starts the
// applier. It closes db on failure.
func startWAL(dir string, db storage.Store, clock storage.Clock) (*walStore, error) {
	s := &walStore{db: db, clock: clock, done: make(chan struct{}), urgent: make(chan struct{}, 1), mem: map[storage.ID]*memBody{}, unindexed: map[storage.ID]uint64{}, gone: map[storage.ID]uint64{}, stored: map[storage.ID]int{}}
	s.cond = sync.NewCond(&s.mu)
	fail := func(err error) (*walStore, error) {
		for _, f := range s.segs {
			if f != nil {
				f.Close()
			}
		}
		db.Close()
		return nil, err
	}
	for i, name := range [2]string{WALFile, WALFile + ".1"} {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fail(fmt.Errorf("queue: open log: %w", err))
		}
		s.segs[i] = f
	}
	// A file's data syncs do not make its name durable: without this, a
	// crash soon after the first 250 on a fresh directory could lose the
	// directory entries of the log or of the bbolt file.
	if err := syncDir(dir); err != nil {
		return fail(fmt.Errorf("queue: sync directory: %w", err))
	}
	if err := s.replay(); err != nil {
		return fail(err)
	}
	note := func(id storage.ID) error { s.stored[id] += 0; return nil }
	if err := errors.Join(db.Records(func(id storage.ID, _ []byte) error { return note(id) }), db.Bodies(note)); err != nil {
		return fail(fmt.Errorf("queue: read store: %w", err))
	}
	go s.applier()
	return s, nil
}

// syncDir fsyncs directory dir; a variable so that tests can see it done.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// span is one record of a segment.
type span struct{ off, n int64 }

// replay applies both segments to bbolt, the older epoch first, and
// invalidates them. Every record is checked before anything is applied, so
// a damaged log fails Open with nothing applied and the log left as found.
// Two valid segments must be of one run and consecutive generations.
func (s *walStore) replay() error {
	var spans [2][]span
	var epochs [2]uint64
	for i, f := range s.segs {
		var err error
		if spans[i], epochs[i], s.alloc[i], err = scanSegment(f); err != nil {
			return err
		}
	}
	order := []int{0, 1}
	if len(spans[0]) > 0 && len(spans[1]) > 0 {
		r0, g0 := epochs[0]>>genBits, epochs[0]&genMask
		r1, g1 := epochs[1]>>genBits, epochs[1]&genMask
		switch {
		case r0 != r1:
			return &storage.CorruptError{File: s.segs[1].Name(), Offset: 0, Reason: "log segments of two different runs"}
		case g0+1 == g1:
		case g1+1 == g0:
			order = []int{1, 0}
		default:
			return &storage.CorruptError{File: s.segs[1].Name(), Offset: 0, Reason: fmt.Sprintf("log segments of generations %d and %d, not consecutive", g0, g1)}
		}
	}
	var ops []storage.Op
	var held int64
	flush := func() error {
		// Replaying the same ops again after a crash midway ends in the
		// same state, so the log may go to bbolt in parts.
		if len(ops) == 0 {
			return nil
		}
		if err := s.db.Apply(coalesce(ops)); err != nil {
			return fmt.Errorf("queue: replay log: %w", err)
		}
		ops, held = nil, 0
		return nil
	}
	for _, i := range order {
		for _, sp := range spans[i] {
			rec := make([]byte, sp.n)
			if _, err := s.segs[i].ReadAt(rec, sp.off); err != nil {
				return fmt.Errorf("queue: log: %w", err)
			}
			batch, err := decodeOps(rec[walHeader:])
			if err != nil { // scanSegment checked it: the file changed since
				return &storage.CorruptError{File: s.segs[i].Name(), Offset: sp.off, Reason: "record changed during replay"}
			}
			ops = append(ops, batch...)
			if held += sp.n; held >= maxApplyTx {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return s.invalidate(order[0])
}

// scanSegment finds the valid records of f's current epoch and f's size.
//
// A crash can only tear the record being written last, so the scan stops
// at a record that is torn or of another epoch. Anything else is damage,
// reported as a *CorruptError: a bad record followed by a valid record of
// its epoch, a record running past the end of the file, a non-empty first
// header that is not one, or a file cut short of the space the log
// allocated (it grows in the steps of allocAfter and never shrinks; a
// grow interrupted by a crash leaves only zeros past the last whole step).
func scanSegment(f *os.File) (spans []span, epoch uint64, size int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("queue: log: %w", err)
	}
	size = st.Size()
	corrupt := func(off int64, reason string) error {
		return &storage.CorruptError{File: f.Name(), Offset: off, Reason: reason}
	}
	if whole := allocBelow(size); whole != size {
		zero, err := zeroFrom(f, whole, size)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("queue: log: %w", err)
		}
		if !zero {
			return nil, 0, 0, corrupt(size, fmt.Sprintf("truncated: %d bytes, not one of its allocation sizes (1, 2 or 4 MiB, or a multiple of %d)", size, walPrealloc))
		}
		// Only the whole step counts as allocated: records written into
		// the zero tail of an interrupted grow would make the next reopen
		// read the segment as cut short.
		size = whole
	}
	var off int64
	hdr := make([]byte, walHeader)
	for off+walHeader <= size {
		if _, err := f.ReadAt(hdr, off); err != nil {
			return nil, 0, 0, fmt.Errorf("queue: log: %w", err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[16:]))
		e := binary.LittleEndian.Uint64(hdr[8:])
		magic := binary.LittleEndian.Uint32(hdr) == walMagic
		if off == 0 {
			if !magic {
				if !bytes.Equal(hdr, make([]byte, walHeader)) {
					return nil, 0, 0, corrupt(0, "first record header damaged")
				}
				break // an empty segment
			}
			epoch = e
		}
		ok := magic && e == epoch
		if ok && off+walHeader+n > size {
			return nil, 0, 0, corrupt(off, fmt.Sprintf("truncated: record of %d bytes runs past the end of the file", walHeader+n))
		}
		if ok {
			rec := make([]byte, walHeader+n)
			if _, err := f.ReadAt(rec, off); err != nil {
				return nil, 0, 0, fmt.Errorf("queue: log: %w", err)
			}
			ok = crc32.Checksum(rec[8:], crcTable) == binary.LittleEndian.Uint32(rec[4:])
			if ok {
				_, err = decodeOps(rec[walHeader:])
				ok = err == nil
			}
		}
		if !ok {
			// The end of the epoch, unless more of it follows.
			more, err := validRecordAfter(f, off+1, size, epoch)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("queue: log: %w", err)
			}
			if more {
				return nil, 0, 0, corrupt(off, "damaged record followed by valid records of the same epoch")
			}
			break // a torn tail (never acknowledged) or the epoch's end
		}
		spans = append(spans, span{off, walHeader + n})
		off += walHeader + n
	}
	return spans, epoch, size, nil
}

// invalidate makes both segments empty for replay by zeroing their first
// headers, the older one first (a crash in between leaves the newer one,
// whose replay over bbolt changes nothing), and starts a new run in
// segment 0.
func (s *walStore) invalidate(older int) error {
	for _, i := range []int{older, 1 - older} {
		if err := s.zeroHeader(i); err != nil {
			return err
		}
	}
	s.run = newRun()
	s.gen = 0
	s.cur = 1
	s.switchSegment()
	s.fresh = false
	return nil
}

// zeroHeader empties segment i for replay.
func (s *walStore) zeroHeader(i int) error {
	if s.alloc[i] < walHeader {
		return nil
	}
	if _, err := s.segs[i].WriteAt(make([]byte, walHeader), 0); err != nil {
		return fmt.Errorf("queue: log: %w", err)
	}
	if err := fdatasync(s.segs[i]); err != nil {
		return fmt.Errorf("queue: log sync: %w", err)
	}
	return nil
}

// switchSegment makes the next record the first of the next generation at
// the start of the other segment; readers of bodies there see its use
// count change, and the body index forgets what it held there. s.mu is
// held, or nothing else runs (Open, Close).
func (s *walStore) switchSegment() {
	s.cur = 1 - s.cur
	s.uses[s.cur].Add(1)
	s.off = 0
	s.fresh = true
	s.gen++
	if s.gen&genMask == 0 { // Apply emptied both segments for this
		s.run, s.gen = newRun(), 1
	}
	for id, b := range s.mem {
		if slices.ContainsFunc(b.chunks, func(r walRef) bool { return int(r.seg) == s.cur }) {
			delete(s.mem, id)
			if b.batch > s.applied { // its later chunks, in the other segment
				s.unindexed[id] = b.batch
			}
		}
	}
}

func (s *walStore) epoch() uint64 { return s.run<<genBits | s.gen&genMask }

// newRun returns a random run number of 64-genBits bits.
func newRun() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("queue: crypto/rand failed: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:]) >> genBits
}

func (s *walStore) Apply(ops []storage.Op) error {
	size := recordSize(ops)
	s.mu.Lock()
	if s.applyErr != nil {
		// Space may have been freed: have the applier retry now.
		s.retryNow()
		if s.applyErr != nil {
			err := s.applyErr
			s.mu.Unlock()
			return err
		}
	}
	if s.pendSize+s.applying >= maxPending && s.applyErr == nil {
		// bbolt lags far behind: hold the caller rather than pile up more.
		s.throttled++
		s.hurry()
		for s.pendSize+s.applying >= maxPending && s.applyErr == nil && !s.closing {
			s.cond.Wait()
		}
		s.throttled--
	}
	if s.off > 0 && (s.applied == s.written || s.off+size > walSegmentSize) {
		// Move on to the other segment once bbolt holds its batches:
		// everything is in bbolt already, or this segment is full and the
		// other one's batches are a segment old. waitApplied also returns
		// when the applier failed; the other segment then holds
		// acknowledged batches that bbolt lacks and must be kept for the
		// next Open to replay.
		//
		// Before the generation wraps, bbolt takes everything and both
		// segments are emptied, so that the next run starts alone.
		wrap := (s.gen+1)&genMask == 0
		if wrap {
			s.waitApplied(s.written)
		} else {
			s.waitApplied(s.last[1-s.cur])
		}
		if s.applyErr != nil {
			err := s.applyErr
			s.mu.Unlock()
			return err
		}
		s.switchSegment()
		if wrap {
			s.mu.Unlock()
			if err := s.zeroHeader(1 - s.cur); err != nil {
				return err
			}
			s.mu.Lock()
		}
	}
	s.mu.Unlock()
	if s.fresh {
		// Empty the segment before the first record of its generation:
		// a torn first record must not leave the old header in front of
		// the old generation's records (which would read as damage).
		if err := s.zeroHeader(s.cur); err != nil {
			return err
		}
		s.fresh = false
	}
	f := s.segs[s.cur]
	if err := s.ensureAlloc(s.off + size); err != nil {
		return err
	}
	var err error
	if s.buf, s.refs, err = writeRecord(f, s.off, s.epoch(), ops, s.buf, s.refs[:0]); err != nil {
		return fmt.Errorf("queue: log write: %w", err)
	}
	var syncStart time.Time
	if s.observe != nil {
		syncStart = time.Now()
	}
	if err := fdatasync(f); err != nil {
		return fmt.Errorf("queue: log sync: %w", err)
	}
	if s.observe != nil {
		s.observe(records(ops), time.Since(syncStart))
	}
	s.off += size
	for i := range s.refs {
		s.refs[i].seg = uint8(s.cur)
	}
	b := batch{at: time.Now(), ops: make([]logged, len(ops))}
	refs := s.refs
	for i, op := range ops {
		b.ops[i].Op = op // the caller reuses ops, not op.Data
		if op.Kind == storage.OpPutChunk {
			b.ops[i].Data, b.ops[i].ref = nil, refs[0]
			refs = refs[1:]
		}
	}
	s.mu.Lock()
	s.written++
	s.last[s.cur] = s.written
	s.pending = append(s.pending, b)
	for _, op := range b.ops {
		s.pendSize += len(op.Data)
		s.remember(op)
	}
	if s.pendSize >= applyBytes {
		s.hurry()
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	return nil
}

// hurry cuts the applier's batching delay short.
func (s *walStore) hurry() {
	select {
	case s.urgent <- struct{}{}:
	default:
	}
}

// retryNow cuts the applier's retry delay short and waits for its next
// attempt; s.mu is held.
func (s *walStore) retryNow() {
	n := s.attempts
	s.hurry()
	for s.attempts == n && s.applyErr != nil && !s.closing {
		s.cond.Wait()
	}
}

// waitApplied blocks until bbolt holds batch n; s.mu is held.
func (s *walStore) waitApplied(n uint64) {
	if s.applied >= n || s.applyErr != nil {
		return
	}
	s.need = max(s.need, n)
	s.hurry()
	for s.applied < n && s.applyErr == nil {
		s.cond.Wait()
	}
}

// ensureAlloc writes zeros up to at least n bytes of the current segment,
// so that the log's fdatasyncs overwrite allocated blocks and need no
// metadata journaling.
func (s *walStore) ensureAlloc(n int64) error {
	f, alloc := s.segs[s.cur], s.alloc[s.cur]
	if n <= alloc {
		return nil
	}
	target := allocAfter(n)
	zero := make([]byte, 1<<20)
	for off := alloc; off < target; off += int64(len(zero)) {
		if _, err := f.WriteAt(zero[:min(int64(len(zero)), target-off)], off); err != nil {
			return fmt.Errorf("queue: log grow: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("queue: log grow: %w", err)
	}
	s.alloc[s.cur] = target
	return nil
}

// allocAfter is the allocation a segment grows to when it must hold more
// than n bytes: a small log starts at walFirstAlloc and doubles, so that an
// almost idle queue does not hold 8 MiB per segment, and a busy one grows
// in walPrealloc steps.
func allocAfter(n int64) int64 {
	if n >= walPrealloc {
		return (n/walPrealloc + 1) * walPrealloc
	}
	a := int64(walFirstAlloc)
	for a <= n {
		a *= 2
	}
	return a
}

// allocBelow is the largest allocation allocAfter makes that is not above
// size: what a segment of size bytes has surely allocated.
func allocBelow(size int64) int64 {
	if size >= walPrealloc {
		return size / walPrealloc * walPrealloc
	}
	var a int64
	for b := int64(walFirstAlloc); b <= size; b *= 2 {
		a = b
	}
	return a
}

// sync waits until bbolt holds every batch logged so far.
func (s *walStore) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitApplied(s.written)
	return s.applyErr
}

func (s *walStore) Records(fn func(storage.ID, []byte) error) error {
	if err := s.sync(); err != nil {
		return err
	}
	return s.db.Records(fn)
}

func (s *walStore) Bodies(fn func(storage.ID) error) error {
	if err := s.sync(); err != nil {
		return err
	}
	return s.db.Bodies(fn)
}

// stop ends the applier once it has applied what the log holds (or
// failed to).
func (s *walStore) stop() {
	s.mu.Lock()
	s.closing = true
	s.cond.Broadcast()
	s.mu.Unlock()
	s.hurry()
	<-s.done
}

// Close drains the log into bbolt, invalidates it and closes both files.
func (s *walStore) Close() error {
	s.stop()
	var errs []error
	if s.applyErr == nil {
		errs = append(errs, s.invalidate(1-s.cur))
	}
	errs = append(errs, s.applyErr, s.segs[0].Close(), s.segs[1].Close(), s.db.Close())
	return errors.Join(errs...)
}

// recordSize is the length of the log record holding ops.
func recordSize(ops []storage.Op) int64 {
	n := int64(walHeader + 4)
	for _, op := range ops {
		n += opHeaderSize + int64(len(op.ID)) + int64(len(op.Data))
	}
	return n
}

const (
	opHeaderSize = 1 + 2 + 4 + 4 // kind, ID length, seq, data length
	// directWrite is the op data size from which writeRecord writes the
	// data from the op itself instead of copying it into its buffer.
	directWrite = 64 << 10
	// maxWriteBuf caps the buffer writeRecord keeps between records.
	maxWriteBuf = 1 << 20
)

// appendOpHeader appends what precedes op's data in a log record.
func appendOpHeader(b []byte, op storage.Op) []byte {
	b = append(b, byte(op.Kind))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(op.ID)))
	b = append(b, op.ID...)
	b = binary.LittleEndian.AppendUint32(b, op.Seq)
	return binary.LittleEndian.AppendUint32(b, uint32(len(op.Data)))
}

// writeRecord writes the log record holding ops at off: magic, CRC-32C of
// the rest, epoch, payload length, then the payload (op count, then each
// op's header and data). Small pieces are gathered in buf, up to
// maxWriteBuf at a time; op data of directWrite bytes or more is written
// from the op, so a group commit of large bodies is never copied into one
// buffer. It returns buf for reuse.
//
// For every OpPutChunk it appends to refs where the chunk's data lies and
// its checksum, so that the data can be read back instead of kept.
func writeRecord(f io.WriterAt, off int64, epoch uint64, ops []storage.Op, buf []byte, refs []walRef) ([]byte, []walRef, error) {
	size := recordSize(ops)
	var hdr [walHeader + 4]byte
	binary.LittleEndian.PutUint32(hdr[:], walMagic)
	binary.LittleEndian.PutUint64(hdr[8:], epoch)
	binary.LittleEndian.PutUint32(hdr[16:], uint32(size-walHeader))
	binary.LittleEndian.PutUint32(hdr[20:], uint32(len(ops)))
	sum := crc32.Checksum(hdr[8:], crcTable)
	var oh []byte
	for _, op := range ops {
		oh = appendOpHeader(oh[:0], op)
		sum = crc32.Update(crc32.Update(sum, crcTable, oh), crcTable, op.Data)
	}
	binary.LittleEndian.PutUint32(hdr[4:], sum)

	w := &recordWriter{f: f, off: off, buf: buf[:0]}
	w.add(hdr[:])
	for _, op := range ops {
		w.buf = appendOpHeader(w.buf, op)
		if op.Kind == storage.OpPutChunk {
			refs = append(refs, walRef{off: w.off + int64(len(w.buf)), n: len(op.Data), sum: crc32.Checksum(op.Data, crcTable)})
		}
		if len(op.Data) >= directWrite {
			w.direct(op.Data)
		} else {
			w.add(op.Data)
		}
	}
	w.flush()
	if cap(w.buf) > maxWriteBuf {
		w.buf = nil
	}
	return w.buf, refs, w.err
}

// recordWriter writes consecutive pieces at an offset, gathering small
// ones.
type recordWriter struct {
	f   io.WriterAt
	off int64
	buf []byte
	err error
}

func (w *recordWriter) add(p []byte) {
	if len(w.buf)+len(p) > maxWriteBuf {
		w.flush()
	}
	w.buf = append(w.buf, p...)
}

func (w *recordWriter) direct(p []byte) {
	w.flush()
	w.write(p)
}

func (w *recordWriter) flush() {
	w.write(w.buf)
	w.buf = w.buf[:0]
}

func (w *recordWriter) write(p []byte) {
	if w.err != nil || len(p) == 0 {
		return
	}
	_, w.err = w.f.WriteAt(p, w.off)
	w.off += int64(len(p))
}

var errBadRecord = errors.New("queue: corrupt log record")

// decodeOps parses the payload of a log record. Op data aliases p.
func decodeOps(p []byte) ([]storage.Op, error) {
	if len(p) < 4 {
		return nil, errBadRecord
	}
	n := binary.LittleEndian.Uint32(p)
	p = p[4:]
	ops := make([]storage.Op, 0, min(n, 1<<16))
	for range n {
		if len(p) < 3 {
			return nil, errBadRecord
		}
		op := storage.Op{Kind: storage.OpKind(p[0])}
		idLen := int(binary.LittleEndian.Uint16(p[1:]))
		p = p[3:]
		if len(p) < idLen+8 {
			return nil, errBadRecord
		}
		op.ID = storage.ID(p[:idLen])
		op.Seq = binary.LittleEndian.Uint32(p[idLen:])
		dLen := int(binary.LittleEndian.Uint32(p[idLen+4:]))
		p = p[idLen+8:]
		if len(p) < dLen {
			return nil, errBadRecord
		}
		op.Data = p[:dLen:dLen]
		p = p[dLen:]
		ops = append(ops, op)
	}
	if len(p) != 0 {
		return nil, errBadRecord
	}
	return ops, nil
}

var _ storage.Store = (*walStore)(nil)
