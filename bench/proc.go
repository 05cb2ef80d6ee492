package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what the benchmark needs from one /proc/<pid>/stat line.
type procStat struct {
	Session int
	// Ticks is utime+stime+cutime+cstime: the process's own CPU plus that
	// of its waited-for children (Postfix's master reaps its daemons, so
	// CPU of daemons that exit inside the window is still counted).
	Ticks int64
	// Own is utime+stime alone.
	Own int64
}

var errStat = errors.New("bench: malformed /proc stat line")

// parseStat parses a /proc/<pid>/stat line. The command name (field 2) may
// hold spaces and parentheses, so fields are counted from the last ')'.
func parseStat(line []byte) (procStat, error) {
	i := bytes.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, errStat
	}
	// After ") ": state(3) ppid(4) pgrp(5) session(6) ... utime(14)
	// stime(15) cutime(16) cstime(17); index 0 here is field 3.
	f := strings.Fields(string(line[i+1:]))
	if len(f) < 15 {
		return procStat{}, errStat
	}
	sid, err := strconv.Atoi(f[3])
	if err != nil {
		return procStat{}, errStat
	}
	st := procStat{Session: sid}
	for i, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return procStat{}, errStat
		}
		st.Ticks += n
		if i < 2 {
			st.Own += n
		}
	}
	return st, nil
}

// readStat reads and parses /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// sessionPIDs lists the live processes whose session id is sid.
func sessionPIDs(sid int) []int {
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.Session == sid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// sessionTicks sums procStat.Ticks over the processes of session sid.
func sessionTicks(sid int) int64 {
	var total int64
	for _, pid := range sessionPIDs(sid) {
		if st, err := readStat(pid); err == nil {
			total += st.Ticks
		}
	}
	return total
}

// pidTicks is utime+stime of one process (children excluded), 0 if it is
// gone.
func pidTicks(pid int) int64 {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return st.Own
}

// parseHWM returns VmHWM (peak resident set size) in KiB from the text of
// /proc/<pid>/status; ok is false when the field is missing (kernel threads,
// zombies).
func parseHWM(status []byte) (kib int64, ok bool) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		rest, found := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !found {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// sessionHWM sums the peak RSS (KiB) of the live processes of session sid
// and says how many there were. For a single-process relay this is exactly
// its peak; for Postfix it is an upper bound, since shared pages are counted
// once per daemon.
func sessionHWM(sid int) (total int64, procs int) {
	for _, pid := range sessionPIDs(sid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		if kib, ok := parseHWM(b); ok {
			total += kib
			procs++
		}
	}
	return total, procs
}

// cpuTimes is the all-core aggregate of /proc/stat, in jiffies.
type cpuTimes struct{ Busy, IOWait, Steal, Total int64 }

// parseCPU parses the aggregate "cpu " line at the top of /proc/stat.
func parseCPU(b []byte) (cpuTimes, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, errors.New("bench: malformed /proc/stat")
	}
	var v [8]int64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil || n < 0 {
			return cpuTimes{}, errors.New("bench: malformed /proc/stat")
		}
		v[i] = n
	}
	busy := v[0] + v[1] + v[2] + v[5] + v[6]
	return cpuTimes{Busy: busy, IOWait: v[4], Steal: v[7], Total: busy + v[3] + v[4] + v[7]}, nil
}

// readCPU samples /proc/stat; a zero value on error keeps figures at 0.
func readCPU() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	c, _ := parseCPU(b)
	return c
}
