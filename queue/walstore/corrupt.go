package walstore

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
)

// validRecordAfter reports whether f holds, at or after from and before
// size, a well-formed record (magic, length within the file, checksum) of
// the given epoch. Replay asks it when it stops short of a valid record:
// a torn tail has nothing of its epoch after it, while a damaged record
// followed by more of its epoch is corruption, and dropping what follows
// would lose acknowledged messages.
func validRecordAfter(f io.ReaderAt, from, size int64, epoch uint64) (bool, error) {
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], walMagic)
	const window = 1 << 20
	buf := make([]byte, window+walHeader)
	for base := from; base < size; base += window {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		if err != nil && err != io.EOF {
			return false, err
		}
		b := buf[:n]
		for i := 0; i < min(n, window); {
			j := bytes.Index(b[i:], magic[:])
			if j < 0 || i+j >= window {
				break
			}
			i += j
			if ok, err := validRecordAt(f, base+int64(i), size, epoch); ok || err != nil {
				return ok, err
			}
			i++
		}
	}
	return false, nil
}

// validRecordAt reports whether a whole, checksummed record of epoch
// starts at off.
func validRecordAt(f io.ReaderAt, off, size int64, epoch uint64) (bool, error) {
	hdr := make([]byte, walHeader)
	if off+walHeader > size {
		return false, nil
	}
	if _, err := f.ReadAt(hdr, off); err != nil {
		return false, err
	}
	n := int64(binary.LittleEndian.Uint32(hdr[16:]))
	if binary.LittleEndian.Uint32(hdr) != walMagic || binary.LittleEndian.Uint64(hdr[8:]) != epoch || off+walHeader+n > size {
		return false, nil
	}
	rec := make([]byte, walHeader+n)
	if _, err := f.ReadAt(rec, off); err != nil {
		return false, err
	}
	return crc32.Checksum(rec[8:], crcTable) == binary.LittleEndian.Uint32(rec[4:]), nil
}

// zeroFrom reports whether every byte of f from off to size is zero: the
// state a grow of the log interrupted by a crash leaves past the last
// whole step.
func zeroFrom(f *os.File, off, size int64) (bool, error) {
	buf := make([]byte, 1<<20)
	for ; off < size; off += int64(len(buf)) {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && err != io.EOF {
			return false, err
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
	}
	return true, nil
}
