package walstore

import (
	"os"
	"syscall"
)

// dropMapped takes the pages of [addr, addr+n) of bbolt's file mapping,
// rounded out to whole pages, out of the process's page tables
// (MADV_DONTNEED). The mapping is shared and read-only, so nothing is lost:
// the pages stay in the page cache and a later read maps them again. The
// caller holds a read transaction, which keeps bbolt from remapping
// meanwhile. Without this every page bbolt ever read or rewrote through
// the mapping (body chunks, mostly) counts in the process's resident set
// for as long as the file lives.
func dropMapped(addr, n uintptr) {
	if n == 0 {
		return
	}
	pg := uintptr(os.Getpagesize())
	start, end := addr&^(pg-1), (addr+n+pg-1)&^(pg-1)
	// Advice only: a failure leaves the pages mapped, as before.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED)
}
