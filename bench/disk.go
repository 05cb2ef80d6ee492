package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// syncCost is what one durable write costs on a disk: the CPU (user and
// system, of this whole process) and the wall time of writing a record and
// fdatasyncing it. Every relay that fsyncs before its 250 pays this per
// commit, and a sink pays nothing, so it is a floor under the relay's CPU
// per message. It depends on the disk and, on a virtual machine, on the
// host (each write and flush exits to it) more than on anything the relay
// does.
type syncCost struct {
	CPUus, WallUs float64 // per write, medians over the rounds
}

func (c syncCost) String() string {
	return fmt.Sprintf("%.0f µs CPU, %.0f µs wall", c.CPUus, c.WallUs)
}

// syncProbe sizes: about one 4 KiB message with its record, and enough
// writes that a round outlasts the clock's tick.
const (
	syncProbeSize   = 5000
	syncProbeWrites = 200
	syncProbeRounds = 3
)

// measureSyncCost writes syncProbeSize bytes at successive offsets of a
// preallocated file in dir and fdatasyncs after each write, as a
// write-ahead log does, and removes the file. It must run while nothing
// else in the process is busy, since it reads the process's CPU time.
func measureSyncCost(dir string) (syncCost, error) {
	f, err := os.CreateTemp(dir, "synccost-*")
	if err != nil {
		return syncCost{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Written blocks, not holes: a log's fdatasync then flushes data only,
	// without the allocation's metadata (the queue's log writes zeros
	// ahead likewise).
	if _, err := f.Write(make([]byte, syncProbeSize*syncProbeWrites)); err != nil {
		return syncCost{}, err
	}
	if err := f.Sync(); err != nil {
		return syncCost{}, err
	}
	rec := make([]byte, syncProbeSize)
	var cpus, walls []float64
	for range syncProbeRounds {
		c0, t0 := processCPU(), time.Now()
		for i := range syncProbeWrites {
			if _, err := f.WriteAt(rec, int64(i)*syncProbeSize); err != nil {
				return syncCost{}, err
			}
			if err := syscall.Fdatasync(int(f.Fd())); err != nil {
				return syncCost{}, fmt.Errorf("fdatasync %s: %w", filepath.Base(f.Name()), err)
			}
		}
		cpus = append(cpus, perWrite(processCPU()-c0))
		walls = append(walls, perWrite(time.Since(t0)))
	}
	return syncCost{CPUus: median(cpus), WallUs: median(walls)}, nil
}

// processCPU is this process's CPU time from getrusage, to the
// microsecond: pidTicks counts 10 ms clock ticks, coarser than a probe
// round's few milliseconds of CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func perWrite(d time.Duration) float64 { return float64(d) / 1e3 / syncProbeWrites }
