package storage

import (
	"errors"
	"fmt"
)

// Errors a store returns; package queue returns them too, under the same
// names.
var (
	// ErrClosed is returned by operations on a closed queue or store, and
	// by a body reader whose store closed under it.
	ErrClosed = errors.New("queue: closed")
	// ErrNotFound is returned for unknown message IDs.
	ErrNotFound = errors.New("queue: not found")
	// ErrStoreFailed is returned by every write while a store fails to
	// make writes durable where it keeps them for good (a full disk, an
	// I/O error): the queue refuses new messages rather than risk the
	// acknowledged ones. The store retries in the background and accepts
	// again once it has caught up. It wraps the cause (e.g. ENOSPC).
	ErrStoreFailed = errors.New("queue: store failed")
	// ErrCorrupt is wrapped by every error that reports damaged stored
	// data: a file that was truncated or overwritten, a body chunk whose
	// checksum fails. The queue never trades such damage for a silent
	// loss: it refuses to open on a damaged file, and never delivers a
	// damaged body.
	ErrCorrupt = errors.New("queue: corrupt store")
	// ErrNotOwned is returned by a write of a store shared by several
	// processes (a pool of hubs) that touches a message another process
	// has taken over: this one's lease on it lapsed. The queue then
	// forgets the message without deleting it; its new owner delivers it.
	ErrNotOwned = errors.New("queue: message owned by another process")
)

// CorruptError says where stored data is damaged. It wraps ErrCorrupt.
type CorruptError struct {
	// File is the path of the damaged file.
	File string
	// Offset is the byte offset of the damage: in File, or in the body of
	// message ID when ID is set; -1 when unknown.
	Offset int64
	// ID is the message whose body is damaged, if any.
	ID ID
	// Reason says what is wrong.
	Reason string
}

func (e *CorruptError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("queue: %s: body of %s corrupt at byte %d: %s", e.File, e.ID, e.Offset, e.Reason)
	}
	return fmt.Sprintf("queue: %s corrupt at offset %d: %s", e.File, e.Offset, e.Reason)
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }
