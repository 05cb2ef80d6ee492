package crashtest

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// fenceLog records, for the pool crash test, which process of which hub
// delivered each copy at the sink and when, and when each process's lease
// ended (its SIGKILL or graceful stop) or lapsed (it registered again
// under a new epoch). A process is named by its hub and the epoch it
// registered under at start, which poolhub puts in its EHLO name.
type fenceLog struct {
	mu         sync.Mutex
	procs      map[string]*hubProc   // EHLO name -> process
	deliveries map[string][]delivery // Message-ID -> copies at the sink, in arrival order
}

type hubProc struct {
	name string
	// The lease ended between stopping (the SIGKILL or SIGTERM) and ended
	// (the process reaped); zero while it runs.
	stopping, ended time.Time
	lapses          []time.Time // when it logged registering again after its lease lapsed
}

type delivery struct {
	helo string
	at   time.Time
}

func newFenceLog() *fenceLog {
	return &fenceLog{procs: map[string]*hubProc{}, deliveries: map[string][]delivery{}}
}

// onData is the sink's hook: it notes who delivered the copy, and when.
func (f *fenceLog) onData(_ context.Context, m smtptest.Message) error {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	id := m.Header.Get("Message-Id")
	f.deliveries[id] = append(f.deliveries[id], delivery{helo: m.Helo, at: now})
	return nil
}

var listeningLine = regexp.MustCompile(`poolhub (\S+) epoch (\d+): listening on`)

// started notes the process whose output out is, once it listens.
func (f *fenceLog) started(out string) error {
	m := listeningLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("crashtest: no epoch in poolhub's output: %s", tail(out, 400))
	}
	name := heloOf(m[1], m[2])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.procs[name] = &hubProc{name: name}
	return nil
}

func heloOf(hub, epoch string) string { return hub + "-e" + epoch + ".pool.contoso.com" }

// ended notes that the process whose output out is, signalled at
// stopping, has just been reaped, and the lease lapses it logged.
func (f *fenceLog) ended(out string, stopping time.Time) {
	now := time.Now()
	m := listeningLine.FindStringSubmatch(out)
	if m == nil {
		return // it never listened, so it delivered nothing
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.procs[heloOf(m[1], m[2])]
	if p == nil || !p.ended.IsZero() {
		return
	}
	p.stopping, p.ended, p.lapses = stopping, now, lapses(out)
}

// lapses reads the times of the "registered again" warnings out of a
// poolhub's slog output.
func lapses(out string) []time.Time {
	var ts []time.Time
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "lease had lapsed; registered again") {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "time=") {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(f[0], "time=")); err == nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// lostLeaseBetween reports whether p, whose copy reached the sink at
// from, lost its lease before another copy reached it at to: it was
// signalled no later than to, or logged a lapse after from. The sink
// times a copy at the end of its DATA, which may come after the sender
// was killed (the bytes were in the socket), so a kill before from still
// counts: the copy was sent before it. A lapse is logged only once the
// process registers again, which may trail the adoption by the other
// hub, so any lapse after from counts.
func (p *hubProc) lostLeaseBetween(from, to time.Time) bool {
	if !p.ended.IsZero() && !p.stopping.After(to) {
		return true
	}
	return slices.ContainsFunc(p.lapses, func(t time.Time) bool { return t.After(from) })
}

// life says when the process was stopped and lapsed, for a report.
func (p *hubProc) life() string {
	if p.ended.IsZero() {
		return fmt.Sprintf("still running, %d lapses", len(p.lapses))
	}
	return fmt.Sprintf("signalled at %s, reaped at %s, %d lapses", p.stopping.Format("15:04:05.000"), p.ended.Format("15:04:05.000"), len(p.lapses))
}

// fenceReport is what check found.
type fenceReport struct {
	crossHub  int      // copies of a message delivered by a process other than the previous copy's
	lapses    int      // lease lapses logged by all processes
	problems  []string // deliveries by two processes without a lease loss between them
	processes int
}

// check finds every message two processes delivered where the earlier
// one held its lease through the later delivery: both were delivering it
// on a valid lease at once, which the fencing forbids.
func (f *fenceLog) check() fenceReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := fenceReport{processes: len(f.procs)}
	for _, p := range f.procs {
		r.lapses += len(p.lapses)
	}
	ids := make([]string, 0, len(f.deliveries))
	for id := range f.deliveries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ds := f.deliveries[id]
		for j := 1; j < len(ds); j++ {
			if ds[j].helo != ds[j-1].helo {
				r.crossHub++
			}
			for i := range j {
				if ds[i].helo == ds[j].helo {
					continue
				}
				p := f.procs[ds[i].helo]
				if p == nil {
					r.problems = append(r.problems, fmt.Sprintf("%s delivered by %q, no process of the pool", id, ds[i].helo))
					continue
				}
				if !p.lostLeaseBetween(ds[i].at, ds[j].at) {
					r.problems = append(r.problems, fmt.Sprintf("%s delivered by %s at %s and by %s at %s (+%s) with no lease loss of the first in between (%s)",
						id, ds[i].helo, ds[i].at.Format("15:04:05.000"), ds[j].helo, ds[j].at.Format("15:04:05.000"),
						ds[j].at.Sub(ds[i].at).Round(time.Millisecond), p.life()))
				}
			}
		}
	}
	return r
}
