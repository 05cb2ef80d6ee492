package storage

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"
)

// ID identifies a message in the queue. It is 26 characters of Crockford
// base32 (digits and upper-case letters without I, L, O, U) encoding a
// 48-bit millisecond timestamp followed by 80 bits that are random for each
// new millisecond and incremented within one, in the manner of a ULID. IDs
// therefore sort by arrival time and are safe in file names and in
// Received: headers.
type ID string

// crockford is in ascending ASCII order, so the lexical order of encoded IDs
// equals the numeric order of their bytes.
var idEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// idLen is the length of an encoded ID: ceil(128/5).
const idLen = 26

// Valid reports whether id has the shape of an ID produced by this package.
func (id ID) Valid() bool {
	if len(id) != idLen {
		return false
	}
	_, err := idEncoding.DecodeString(string(id))
	return err == nil
}

// Time returns the millisecond timestamp embedded in id, or the zero time if
// id is not valid.
func (id ID) Time() time.Time {
	b, err := idEncoding.DecodeString(string(id))
	if err != nil || len(b) != 16 {
		return time.Time{}
	}
	ms := int64(binary.BigEndian.Uint64(b[:8]) >> 16)
	return time.UnixMilli(ms)
}

// IDGenerator hands out strictly increasing IDs even if the clock stands
// still or steps back (a fake clock in tests, NTP adjustments in
// production). The zero value is ready to use; it is safe for concurrent
// use. A queue has one; a Store never needs one.
type IDGenerator struct {
	mu   sync.Mutex
	last [16]byte
}

// Next returns a new ID for a message arriving at now.
func (g *IDGenerator) Next(now time.Time) ID {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(now.UnixMilli())
	lastMS := binary.BigEndian.Uint64(g.last[:8]) >> 16
	var b [16]byte
	if ms > lastMS {
		binary.BigEndian.PutUint64(b[:8], ms<<16)
		if _, err := rand.Read(b[6:]); err != nil {
			panic("storage: crypto/rand failed: " + err.Error())
		}
		b[6] &= 0x7f // leave room to increment within the millisecond
	} else {
		b = g.last
		increment(b[:])
	}
	g.last = b
	return ID(idEncoding.EncodeToString(b[:]))
}

// increment adds one to a big-endian number; a carry out of the random tail
// runs into the timestamp, which keeps the order strictly increasing.
func increment(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}
