//go:build !unix

package cli

// lockQueue relies on the queue's own lock where flock is not available.
func (c *Common) lockQueue() error { return nil }
