package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// relayProc is a relay under test: either hubedge's gateway or RELAY_CMD.
// It runs in its own session (setsid), so its process group can be
// signalled as a whole and its CPU and memory attributed to it exactly; it
// must therefore stay in the foreground (not daemonize).
type relayProc struct {
	cmd    *exec.Cmd
	port   int
	waited chan struct{}
}

// expand substitutes the {LISTEN}, {NEXTHOP} and {QUEUE} placeholders.
func expand(cmd, listen, nexthop, queue string) string {
	return strings.NewReplacer("{LISTEN}", listen, "{NEXTHOP}", nexthop, "{QUEUE}", queue).Replace(cmd)
}

// gatewayArgs is the gateway's command line, fixed by issue 9: an anonymous
// relay for 127.0.0.0/8 with a durable queue in queueDir.
func gatewayArgs(listen, nexthop, queueDir, extra string) []string {
	args := []string{"-mode", "anonymous-relay", "-listen", listen, "-smarthost", nexthop,
		"-remote", "127.0.0.0/8", "-queue", queueDir}
	return append(args, strings.Fields(extra)...)
}

// startRelay starts the relay for one run and waits for its 220 greeting.
// queueDir is created fresh by the caller and given to the relay.
// gateway is the gateway binary; extra are flags added after GATEWAY_ARGS.
func startRelay(ctx context.Context, c *config, gateway, extra, queueDir string, logf *os.File) (*relayProc, error) {
	if err := portFree(c.ListenPort); err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", c.ListenPort)
	nexthop := fmt.Sprintf("127.0.0.1:%d", c.NexthopPort)
	var cmd *exec.Cmd
	if c.RelayCmd != "" {
		line := expand(c.RelayCmd, listen, nexthop, queueDir)
		logf.WriteString("# relay command: " + line + "\n")
		// exec: the shell is replaced, so the session leader is the relay.
		cmd = exec.Command("/bin/sh", "-c", "exec "+line)
	} else {
		args := gatewayArgs(listen, nexthop, queueDir, c.GwArgs+" "+extra)
		logf.WriteString("# relay command: " + gateway + " " + strings.Join(args, " ") + "\n")
		cmd = exec.Command(gateway, args...)
	}
	cmd.Env = append(os.Environ(),
		"BENCH_LISTEN_ADDR="+listen, "BENCH_NEXTHOP_ADDR="+nexthop, "BENCH_QUEUE_DIR="+queueDir,
		fmt.Sprintf("BENCH_LISTEN_PORT=%d", c.ListenPort), fmt.Sprintf("BENCH_NEXTHOP_PORT=%d", c.NexthopPort))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start relay: %w", err)
	}
	r := &relayProc{cmd: cmd, port: c.ListenPort, waited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.waited) }()

	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // a relay that dies early should fail fast, not after the timeout
		select {
		case <-r.waited:
			cancel()
		case <-bctx.Done():
		}
	}()
	if err := waitBanner(bctx, c.ListenPort, c.ReadyTimeout); err != nil {
		r.stop()
		if ctx.Err() == nil && errors.Is(err, context.Canceled) {
			err = fmt.Errorf("exited: %v", cmd.ProcessState)
		}
		return nil, fmt.Errorf("bench: relay on port %d (log %s): %w", c.ListenPort, logf.Name(), err)
	}
	return r, nil
}

// SID is the relay's session id (its leader's pid).
func (r *relayProc) SID() int { return r.cmd.Process.Pid }

// stop sends SIGTERM to the relay's process group, then SIGKILL after 5 s,
// and waits for the leader. Only this group is ever signalled.
func (r *relayProc) stop() {
	if r == nil {
		return
	}
	pgid := r.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-r.waited:
	case <-time.After(5 * time.Second):
	}
	// Children may outlive the leader; KILL whatever is left of the group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-r.waited
	// Killed children release the listening socket a moment later.
	for deadline := time.Now().Add(5 * time.Second); portFree(r.port) != nil && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if portFree(r.port) != nil {
		note("WARNING: port %d still listening after the relay's process group was killed: "+
			"the relay left its session (daemonized?); its CPU was not counted and it must be stopped by hand", r.port)
	}
}
