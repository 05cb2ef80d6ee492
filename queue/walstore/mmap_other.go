//go:build !linux

package walstore

// dropMapped is a no-op where the resident set is not trimmed.
func dropMapped(addr, n uintptr) {}
