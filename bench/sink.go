package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// parseSinkCount returns the message count of the last complete record in
// smtp-sink -c output ("sess=N quit=N mesg=N", records ended by '\r'); ok is
// false when buf holds no complete record with a mesg field.
func parseSinkCount(buf []byte) (n int, ok bool) { return parseSinkField(buf, "mesg=") }

// parseSinkField is parseSinkCount for any numeric field ("tls=": messages
// the Go sink received over TLS).
func parseSinkField(buf []byte, field string) (n int, ok bool) {
	for len(buf) > 0 {
		end := bytes.LastIndexByte(buf, '\r')
		if end < 0 {
			return 0, false
		}
		rec := buf[:end]
		buf = rec
		if i := bytes.LastIndexByte(rec, '\r'); i >= 0 {
			rec = rec[i+1:]
		}
		_, v, found := bytes.Cut(rec, []byte(field))
		if !found {
			continue
		}
		if i := bytes.IndexAny(v, " \n"); i >= 0 {
			v = v[:i]
		}
		if c, err := strconv.Atoi(string(v)); err == nil && c >= 0 {
			return c, true
		}
	}
	return 0, false
}

// sink is a running smtp-sink. Its counter goes to a file that is read as
// it grows, every readPause: a pipe would wake the harness on every record
// (three per message), costing it more CPU than the timing is worth.
type sink struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when smtp-sink has exited
	done   chan struct{} // closed when the reader has read everything

	mu     sync.Mutex
	count  int
	tls    int // messages over TLS (Go sink only)
	resum  int // TLS sessions resumed (Go sink only)
	sess   int // sessions accepted
	target int
	hit    chan time.Time // receives once count >= target
}

// readPause bounds the resolution of the end-of-run timestamp (runs last
// seconds, so 20 ms is under 1 %); shorter pauses cost measurable CPU on a
// loaded machine.
const readPause = 20 * time.Millisecond

// smtpSinkArgs are smtp-sink's arguments: count (-c) on 127.0.0.1:port.
func smtpSinkArgs(port int) []string {
	args := []string{"-c", "-m", "1024"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // smtp-sink refuses to run as root
	}
	return append(args, fmt.Sprintf("127.0.0.1:%d", port), "1024")
}

// startSink starts a sink (argv: smtp-sink or the Go sink, both writing
// smtp-sink -c records to stdout) on 127.0.0.1:port, counting into
// outPath; its stderr goes to logf.
func startSink(ctx context.Context, argv []string, port int, outPath string, logf *os.File, ready time.Duration) (*sink, error) {
	if err := portFree(port); err != nil {
		return nil, err
	}
	out, err := os.Create(outPath)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own descriptor
	in, err := os.Open(outPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, logf
	if err := cmd.Start(); err != nil {
		in.Close()
		return nil, fmt.Errorf("bench: start sink %s: %w", argv[0], err)
	}
	s := &sink{cmd: cmd, exited: make(chan struct{}), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	go func() { defer in.Close(); s.read(in, s.exited) }()
	if err := waitBanner(ctx, port, ready); err != nil {
		s.stop()
		return nil, fmt.Errorf("bench: sink on port %d: %w", port, err)
	}
	return s, nil
}

// read follows r (a growing file) until exited is closed and r is drained.
func (s *sink) read(r io.Reader, exited <-chan struct{}) {
	defer close(s.done)
	buf := make([]byte, 64<<10)
	var tail []byte // an incomplete record left from the previous read
	finished := false
	for {
		n, err := r.Read(buf)
		if n > 0 {
			now := time.Now()
			chunk := append(tail, buf[:n]...)
			if c, ok := parseSinkCount(chunk); ok {
				tc, _ := parseSinkField(chunk, "tls=")
				rc, _ := parseSinkField(chunk, "resumed=")
				sc, _ := parseSinkField(chunk, "sess=")
				s.update(c, tc, rc, sc, now)
			}
			i := bytes.LastIndexByte(chunk, '\r')
			tail = append(tail[:0:0], chunk[i+1:]...)
			continue
		}
		if (err != nil && err != io.EOF) || finished {
			return // drained after the exit: nothing more will come
		}
		select {
		case <-exited:
			finished = true // one more read picks up its last records
		case <-time.After(readPause):
		}
	}
}

func (s *sink) update(c, tc, rc, sc int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count, s.tls, s.resum, s.sess = c, tc, rc, sc
	if s.hit != nil && c >= s.target {
		s.hit <- at
		s.hit = nil
	}
}

// TLSCount is the number of messages the Go sink has received over TLS,
// and resumed the number of its TLS sessions that resumed an earlier one.
func (s *sink) TLSCount() (msgs, resumed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tls, s.resum
}

// Sessions is the number of sessions the sink has accepted.
func (s *sink) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

// Count is the number of messages the sink has received so far.
func (s *sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

var errStalled = errors.New("bench: sink stalled")

// WaitFor blocks until the sink has counted target messages and returns the
// moment it did. It gives up with errStalled (returning the time of giving
// up) when the count has not moved for stall, or when the sink exits.
func (s *sink) WaitFor(ctx context.Context, target int, stall time.Duration) (time.Time, error) {
	hit := make(chan time.Time, 1)
	s.mu.Lock()
	if s.count >= target {
		s.mu.Unlock()
		return time.Now(), nil
	}
	s.target, s.hit = target, hit
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.hit = nil
		s.mu.Unlock()
	}()

	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	last, lastMove := s.Count(), time.Now()
	for {
		select {
		case at := <-hit:
			return at, nil
		case <-ctx.Done():
			return time.Now(), ctx.Err()
		case <-s.done:
			return time.Now(), fmt.Errorf("%w: smtp-sink exited at %d/%d", errStalled, s.Count(), target)
		case now := <-tick.C:
			if c := s.Count(); c != last {
				last, lastMove = c, now
			} else if now.Sub(lastMove) > stall {
				return now, fmt.Errorf("%w at %d/%d messages for %v", errStalled, c, target, stall)
			}
		}
	}
}

// PID is the sink's process id, for CPU accounting.
func (s *sink) PID() int { return s.cmd.Process.Pid }

// stop kills the sink and waits for it and its reader; safe to call more
// than once.
func (s *sink) stop() {
	if s == nil {
		return
	}
	_ = s.cmd.Process.Kill() // fails harmlessly once it has exited
	<-s.exited
	<-s.done
}
