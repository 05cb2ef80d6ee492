package smtpx

import (
	"context"
	"runtime/metrics"
)

// SystemResources returns the default back-pressure probe: the free and
// total space of the file system holding dir (not measured when dir is
// empty, as for a queue in memory or in a database) and the memory the
// Go runtime holds from the system against the machine's physical
// memory. Where the platform offers no reading the probe fails and back
// pressure stays where it is.
func SystemResources(dir string) func(context.Context) (Resources, error) {
	return func(context.Context) (Resources, error) {
		var r Resources
		var err error
		if dir != "" {
			if r.DiskFree, r.DiskSize, err = diskSpace(dir); err != nil {
				return Resources{}, err
			}
		}
		if r.MemoryLimit, err = physicalMemory(); err != nil {
			return Resources{}, err
		}
		r.Memory = processMemory()
		return r, nil
	}
}

// processMemory is what the Go runtime has mapped and not given back:
// the nearest measure to the reference system's private bytes.
func processMemory() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	total, released := s[0].Value.Uint64(), s[1].Value.Uint64()
	if released > total {
		return 0
	}
	return total - released
}
