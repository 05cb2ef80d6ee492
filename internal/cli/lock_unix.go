//go:build unix

package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockQueue takes an exclusive lock on the queue directory for as long as
// the process runs (until Close), and writes our pid into the lock file.
// The queue locks its own store too, but only reports a timeout after a
// second; this names the other process at once, before anything starts.
func (c *Common) lockQueue() error {
	if err := os.MkdirAll(c.QueueDir, 0o750); err != nil {
		return err
	}
	path := filepath.Join(c.QueueDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := "unknown"
			if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				pid = strconv.Itoa(n)
			}
			return fmt.Errorf("%w: %s (pid %s)", ErrQueueInUse, c.QueueDir, pid)
		}
		return fmt.Errorf("cli: lock %s: %w", path, err)
	}
	// The pid only makes the message above more helpful: failing to
	// write it is no reason not to start.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	c.lock = f
	return nil
}
