package walstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	"github.com/hubedge/hubedge/queue/storage"
)

// bbolt's on-disk metadata (go.etcd.io/bbolt, file format version 2): the
// first two pages are meta pages, each a 16-byte page header followed by
// magic, version, page size, flags, root bucket (16 bytes), freelist page,
// high-water page id, transaction id and an FNV-64a checksum of the
// fields before it, little-endian on the platforms we build for.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSize   = 64
)

type boltMeta struct {
	pageSize uint32
	pgid     uint64
	txid     uint64
}

// readBoltMeta decodes the meta page at off; ok is false when it is not a
// valid one.
func readBoltMeta(f io.ReaderAt, off int64) (m boltMeta, ok bool) {
	b := make([]byte, boltMetaSize)
	if _, err := f.ReadAt(b, off+boltPageHeader); err != nil {
		return m, false
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if binary.LittleEndian.Uint32(b) != boltMagic || binary.LittleEndian.Uint32(b[4:]) != boltVersion ||
		binary.LittleEndian.Uint64(b[56:]) != h.Sum64() {
		return m, false
	}
	m = boltMeta{pageSize: binary.LittleEndian.Uint32(b[8:]), pgid: binary.LittleEndian.Uint64(b[40:]), txid: binary.LittleEndian.Uint64(b[48:])}
	return m, m.pageSize >= 512 && m.pageSize&(m.pageSize-1) == 0
}

// checkBoltFile refuses a bbolt file shorter than its own metadata says
// (page size × high-water page id), or without a valid meta page. bbolt
// maps the file and trusts those figures: reading a page past the end of
// a truncated file faults (SIGBUS), at Open or later in any goroutine,
// where nothing can turn it into an error. A missing or empty file is a
// new store.
func checkBoltFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue: open store: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("queue: open store: %w", err)
	}
	if st.Size() == 0 {
		return nil
	}
	best, found := readBoltMeta(f, 0)
	// The second meta page sits one page in; if the first is damaged,
	// try every page size bbolt may have used.
	sizes := []uint32{best.pageSize}
	if !found {
		sizes = []uint32{1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10}
	}
	for _, ps := range sizes {
		if m, ok := readBoltMeta(f, int64(ps)); ok && m.pageSize == ps && (!found || m.txid > best.txid) {
			best, found = m, true
		}
	}
	if !found {
		return &storage.CorruptError{File: path, Offset: 0, Reason: "no valid bbolt meta page"}
	}
	if need := int64(best.pgid) * int64(best.pageSize); st.Size() < need {
		return &storage.CorruptError{File: path, Offset: st.Size(),
			Reason: fmt.Sprintf("truncated: %d bytes, its metadata says %d pages of %d bytes", st.Size(), best.pgid, best.pageSize)}
	}
	return nil
}
