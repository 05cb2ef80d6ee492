package smtpx

import (
	"fmt"
	"syscall"
)

func diskSpace(dir string) (free, size uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("smtpx: free space of %s: %w", dir, err)
	}
	// Bavail, not Bfree: the blocks reserved for root are not ours.
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

func physicalMemory() (uint64, error) {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0, fmt.Errorf("smtpx: physical memory: %w", err)
	}
	return uint64(si.Totalram) * uint64(si.Unit), nil
}
