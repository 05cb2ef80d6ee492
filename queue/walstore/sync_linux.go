package walstore

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data and the metadata needed to read it back, not
// its timestamps: on a preallocated log that is one device flush.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
