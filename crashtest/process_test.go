package crashtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// perHop caps the relay's concurrent deliveries to the sink, so at most
// perHop deliveries are in flight when it is killed.
const perHop = 20

// relay runs the gateway binary as a child in its own process group, so a
// kill takes every process it may have started with it.
type relay struct {
	bin    string
	args   []string
	listen string // the receive connector's fixed address

	cmd  *exec.Cmd
	out  *output
	done chan struct{} // closed once cmd.Wait has returned
	err  error         // cmd.Wait's result, set before done closes
}

// freePort returns a loopback address nothing listens on right now; the
// relay binds it on every restart, as a real server keeps its port.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newRelay(t *testing.T, queueDir, smartHost string) *relay {
	t.Helper()
	listen := freePort(t)
	r := &relay{bin: gatewayBin, listen: listen, args: []string{"-mode", "anonymous-relay", "-listen", listen,
		"-smarthost", smartHost, "-remote", "127.0.0.0/8", "-queue", queueDir, "-per-hop", strconv.Itoa(perHop), "-log", "warn"}}
	killAtEnd(t, r)
	return r
}

func killAtEnd(t testing.TB, r *relay) {
	t.Cleanup(func() {
		if err := r.kill(); err != nil {
			t.Error(err)
		}
	})
}

// start launches the relay and returns once its receive connector is
// listening (it prints the connector line after binding). The port of a
// process just killed can be refused for a moment; start tries again
// until ctx ends.
func (r *relay) start(ctx context.Context) error {
	for {
		err := r.startOnce(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !strings.Contains(err.Error(), "address already in use") {
			return err
		}
	}
}

func (r *relay) startOnce(ctx context.Context) error {
	r.out = newOutput("listening on " + r.listen)
	r.cmd = exec.Command(r.bin, r.args...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.cmd = nil
		return err
	}
	r.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		r.err = cmd.Wait()
		close(done)
	}(r.cmd, r.done)
	select {
	case <-r.out.ready:
		return nil
	case <-r.done:
		r.cmd = nil
		return fmt.Errorf("crashtest: relay exited before listening (%v): %s", r.err, r.out.String())
	case <-ctx.Done():
		if err := r.kill(); err != nil {
			return err
		}
		return fmt.Errorf("crashtest: relay not listening on %s: %w; output: %s", r.listen, ctx.Err(), r.out.String())
	}
}

// kill SIGKILLs the relay's process group and reaps it.
func (r *relay) kill() error {
	if r.cmd == nil {
		return nil
	}
	// The group id is the leader's pid (Setpgid); ESRCH means it is gone.
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("crashtest: kill relay: %w", err)
	}
	<-r.done
	r.cmd = nil
	return nil
}

// stop asks the relay to shut down gracefully (SIGTERM), then kills it if
// it is still running when ctx ends. It returns the exit error, if any.
func (r *relay) stop(ctx context.Context) error {
	if r.cmd == nil {
		return nil
	}
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-r.done:
		r.cmd = nil
		return r.err
	case <-ctx.Done():
		if err := r.kill(); err != nil {
			return err
		}
		return fmt.Errorf("crashtest: relay ignored SIGTERM: %w", ctx.Err())
	}
}

// output collects the relay's stdout and stderr and closes ready at the
// first line containing marker.
type output struct {
	marker string
	ready  chan struct{}

	mu    sync.Mutex
	buf   bytes.Buffer
	found bool
}

func newOutput(marker string) *output {
	return &output{marker: marker, ready: make(chan struct{})}
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.found && strings.Contains(o.buf.String(), o.marker) {
		o.found = true
		close(o.ready)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// gate tells the clients whether the relay is up: they wait on it after a
// failed attempt rather than hammering a port nobody listens on.
type gate struct {
	mu   sync.Mutex
	open bool
	ch   chan struct{} // closed while open
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) up() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		g.open = true
		close(g.ch)
	}
}

func (g *gate) down() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open {
		g.open = false
		g.ch = make(chan struct{})
	}
}

// wait returns once the relay is up, or ctx's error.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pause waits d or until ctx ends; clients pace retries with it after a
// failure the relay's death does not explain (a 4xx, say).
func pause(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}
