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
func parseSinkCount(buf []byte) (n int, ok bool) {
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
		_, v, found := bytes.Cut(rec, []byte("mesg="))
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

// sink is a running smtp-sink whose message counter is read from its
// stdout as it arrives, so the moment it reaches a target is known to the
// read, not to a polling interval.
type sink struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the reader has hit EOF

	mu     sync.Mutex
	count  int
	target int
	hit    chan time.Time // receives once count >= target
}

// startSink starts smtp-sink on 127.0.0.1:port; its stderr goes to logf.
func startSink(ctx context.Context, t *tools, port int, logf *os.File, ready time.Duration) (*sink, error) {
	if err := portFree(port); err != nil {
		return nil, err
	}
	args := []string{"-c", "-m", "1024"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // smtp-sink refuses to run as root
	}
	args = append(args, fmt.Sprintf("127.0.0.1:%d", port), "1024")
	cmd := exec.Command(t.SmtpSink, args...)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start smtp-sink: %w", err)
	}
	s := &sink{cmd: cmd, done: make(chan struct{})}
	go s.read(out)
	if err := waitBanner(ctx, port, ready); err != nil {
		s.stop()
		return nil, fmt.Errorf("bench: smtp-sink on port %d: %w", port, err)
	}
	return s, nil
}

func (s *sink) read(r io.Reader) {
	defer close(s.done)
	buf := make([]byte, 64<<10)
	var tail []byte // an incomplete record left from the previous read
	for {
		n, err := r.Read(buf)
		if n > 0 {
			now := time.Now()
			chunk := append(tail, buf[:n]...)
			if c, ok := parseSinkCount(chunk); ok {
				s.update(c, now)
			}
			i := bytes.LastIndexByte(chunk, '\r')
			tail = append(tail[:0:0], chunk[i+1:]...)
		}
		if err != nil {
			return
		}
	}
}

func (s *sink) update(c int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count = c
	if s.hit != nil && c >= s.target {
		s.hit <- at
		s.hit = nil
	}
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

// stop kills the sink and waits for it; safe to call more than once.
func (s *sink) stop() {
	if s == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	_ = s.cmd.Wait()
}
