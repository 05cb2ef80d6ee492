package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	gm "github.com/d--j/go-milter"

	"github.com/hubedge/hubedge/agent/milter/miltertest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// milterProc is a filter the harness runs beside a relay (milter=rspamd):
// in a session of its own, so that its CPU is reported apart from the
// relay's, and stopped with its whole process group at the end of the run.
type milterProc struct {
	cmd    *exec.Cmd
	addr   string
	waited chan struct{}
}

// benchDNS is the resolver filters and relays are given ({DNS}): a server
// on 127.0.0.1 with no records, so every lookup they make (DNS block lists,
// SPF, URL reputation) is answered NXDOMAIN at once instead of timing out,
// and no query leaves the machine.
type benchDNS struct {
	tb  *smtptest.Standalone
	dns *mxtest.DNS
}

func (d *benchDNS) addr() string {
	if d.dns == nil {
		d.tb = new(smtptest.Standalone)
		d.dns = mxtest.NewDNS(d.tb)
	}
	return d.dns.Addr()
}

func (d *benchDNS) close() {
	if d.tb != nil {
		d.tb.Close()
	}
}

// startRspamd starts rspamd's milter worker on 127.0.0.1:port with its
// configuration in dir, and returns once it has answered a milter
// negotiation, so that the relay's first messages do not wait for rspamd
// to compile its rules (tens of seconds on a loaded machine).
func startRspamd(ctx context.Context, port int, dir, dnsAddr string, logf *os.File) (*milterProc, error) {
	bin, err := exec.LookPath("rspamd")
	if err != nil {
		return nil, errors.New("bench: milter=rspamd: rspamd is not installed (apt-get install rspamd)")
	}
	if err := portFree(port); err != nil {
		return nil, err
	}
	args, err := miltertest.RspamdConfig(dir, dnsAddr)
	if err != nil {
		return nil, fmt.Errorf("bench: rspamd configuration: %w", err)
	}
	// The socket is bound here and handed over (systemd socket activation),
	// so it accepts before rspamd is ready and nothing races for the port.
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	f, err := l.(*net.TCPListener).File()
	l.Close() // f holds the socket
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	fmt.Fprintf(logf, "# milter command: %s %v\n", bin, args)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start rspamd: %w", err)
	}
	m := &milterProc{cmd: cmd, addr: l.Addr().String(), waited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.waited) }()

	ready := make(chan error, 1)
	go func() { ready <- probeMilter(m.addr) }()
	select {
	case err = <-ready:
	case <-m.waited:
		err = fmt.Errorf("exited: %v", cmd.ProcessState)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		m.stop() // also ends a probe still waiting for an answer
		<-ready
		return nil, fmt.Errorf("bench: rspamd on port %d (log %s): %w", port, filepath.Join(dir, "rspamd.log"), err)
	}
	return m, nil
}

// probeMilter negotiates one milter session with the filter at addr and
// closes it; it returns once the filter's worker answers.
func probeMilter(addr string) error {
	c := gm.NewClient("tcp", addr, gm.WithReadTimeout(miltertest.StartupTimeout), gm.WithWriteTimeout(time.Minute))
	s, err := c.Session(nil)
	if err != nil {
		return err
	}
	return s.Close()
}

// SID is the filter's session id (its leader's pid).
func (m *milterProc) SID() int { return m.cmd.Process.Pid }

// stop ends the filter's process group and waits for its leader.
func (m *milterProc) stop() {
	if m == nil {
		return
	}
	stopGroup(m.cmd.Process.Pid, m.waited)
}
