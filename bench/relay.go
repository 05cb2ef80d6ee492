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

// relayEnv is what a relay command is told: the addresses and files of its
// run, as {PLACEHOLDERS} in the command and BENCH_* environment variables.
type relayEnv struct {
	Listen, Nexthop, Queue string
	Manage, ManageToken    string // the management listener to serve and its token file
	Milter                 string // the filter's address; empty without milter=
	DNS                    string // the harness's DNS server, when the command names {DNS}
}

// vars are the placeholders, the environment variables that carry the same
// values, and the values.
func (e relayEnv) vars() [][3]string {
	return [][3]string{
		{"{LISTEN}", "BENCH_LISTEN_ADDR", e.Listen}, {"{NEXTHOP}", "BENCH_NEXTHOP_ADDR", e.Nexthop},
		{"{QUEUE}", "BENCH_QUEUE_DIR", e.Queue}, {"{MANAGE}", "BENCH_MANAGE_ADDR", e.Manage},
		{"{MANAGE_TOKEN}", "BENCH_MANAGE_TOKEN", e.ManageToken}, {"{MILTER}", "BENCH_MILTER_ADDR", e.Milter},
		{"{DNS}", "BENCH_DNS_ADDR", e.DNS},
	}
}

// expand substitutes the placeholders in cmd.
func (e relayEnv) expand(cmd string) string {
	var old []string
	for _, v := range e.vars() {
		old = append(old, v[0], v[2])
	}
	return strings.NewReplacer(old...).Replace(cmd)
}

// environ is the command's environment: ours, the placeholders' values and
// the two ports (BENCH_LISTEN_PORT, BENCH_NEXTHOP_PORT).
func (e relayEnv) environ(listenPort, nexthopPort int) []string {
	env := os.Environ()
	for _, v := range e.vars() {
		env = append(env, v[1]+"="+v[2])
	}
	return append(env, fmt.Sprintf("BENCH_LISTEN_PORT=%d", listenPort), fmt.Sprintf("BENCH_NEXTHOP_PORT=%d", nexthopPort))
}

// gatewayArgs is the gateway's command line, fixed by issue 9: an anonymous
// relay for 127.0.0.0/8 with a durable queue in queueDir (empty: in
// memory, for queue=memory).
func gatewayArgs(listen, nexthop, queueDir, extra string) []string {
	args := []string{"-mode", "anonymous-relay", "-listen", listen, "-smarthost", nexthop,
		"-remote", "127.0.0.0/8"}
	if queueDir != "" {
		args = append(args, "-queue", queueDir)
	}
	return append(args, strings.Fields(extra)...)
}

// startRelay starts the relay for one run and waits for its 220 greeting.
// relayCmd is the command of the run's variant (empty: the gateway binary
// gateway, with extra flags after GATEWAY_ARGS); env.Queue is created fresh
// by the caller.
func startRelay(ctx context.Context, c *config, relayCmd, gateway, extra string, env relayEnv, logf *os.File) (*relayProc, error) {
	if err := portFree(c.ListenPort); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if relayCmd != "" {
		line := env.expand(relayCmd)
		logf.WriteString("# relay command: " + line + "\n")
		// exec: the shell is replaced, so the session leader is the relay.
		argv := pinned(c.RelayCPUs, []string{"/bin/sh", "-c", "exec " + line})
		cmd = exec.Command(argv[0], argv[1:]...)
	} else {
		argv := pinned(c.RelayCPUs, append([]string{gateway}, gatewayArgs(env.Listen, env.Nexthop, env.Queue, c.GwArgs+" "+extra)...))
		logf.WriteString("# relay command: " + strings.Join(argv, " ") + "\n")
		cmd = exec.Command(argv[0], argv[1:]...)
	}
	cmd.Env = env.environ(c.ListenPort, c.NexthopPort)
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

// stopGroup sends SIGTERM to the process group pgid, SIGKILL to whatever
// is left of it after 5 s (children may outlive the leader), and waits
// until waited, the leader's exit, is closed.
func stopGroup(pgid int, waited <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-waited
}

// SID is the relay's session id (its leader's pid).
func (r *relayProc) SID() int { return r.cmd.Process.Pid }

// stop sends SIGTERM to the relay's process group, then SIGKILL after 5 s,
// and waits for the leader. Only this group is ever signalled.
func (r *relayProc) stop() {
	if r == nil {
		return
	}
	stopGroup(r.cmd.Process.Pid, r.waited)
	// Killed children release the listening socket a moment later.
	for deadline := time.Now().Add(5 * time.Second); portFree(r.port) != nil && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if portFree(r.port) != nil {
		note("WARNING: port %d still listening after the relay's process group was killed: "+
			"the relay left its session (daemonized?); its CPU was not counted and it must be stopped by hand", r.port)
	}
}
