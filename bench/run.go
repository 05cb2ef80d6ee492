package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kinds of thing under measurement.
const (
	kindSink    = "sink"    // smtp-source straight into smtp-sink: the ceiling
	kindPostfix = "postfix" // throwaway Postfix relay
	kindRelay   = "relay"   // hubedge's gateway or RELAY_CMD
)

// result is one measured run.
type result struct {
	Name       string
	Sent, Got  int     // timed messages injected / counted by the sink
	Secs       float64 // start of injection until the sink saw the last
	InjectSecs float64 // start of injection until smtp-source exited
	RelayCPU   float64 // s; negative when not measured (sink)
	MilterCPU  float64 // s used by the filter beside the relay (milter=); 0 without one
	RelayHWM   int64   // KiB, sum of VmHWM of the relay's processes
	RelayProcs int     // how many processes RelayHWM sums
	SelfCPU    float64 // s used by this harness (its sink reader) in the window
	SinkCPU    float64 // s
	SourceCPU  float64 // s used by the load generator (its whole life: the timed window)
	Busy       float64 // share of all cores busy, 0..1
	IOWait     float64 // share of all cores in iowait
	Steal      float64 // share stolen by the hypervisor
	SourceErr  string  // smtp-source failure, if any
	Stalled    bool    // the sink stopped short of the target
	Extra      string  // kind-specific fields, " k=v ..."
}

func (r *result) Rate() float64 {
	if r.Secs <= 0 {
		return 0
	}
	return float64(r.Got) / r.Secs
}

// Line is the run's summary line; it begins exactly with
// "relay=NAME msgs=N secs=S rate=R/s" followed by extra key=value fields.
func (r *result) Line(c *config) string {
	inj := r.InjectSecs
	if inj <= 0 {
		inj = 1e-9
	}
	s := fmt.Sprintf("relay=%s msgs=%d secs=%.2f rate=%.0f/s inject_secs=%.2f inject_rate=%.0f/s sent=%d sessions=%d size=%d reuse=%s rcpts=%d",
		r.Name, r.Got, r.Secs, r.Rate(), r.InjectSecs, float64(r.Got)/inj, r.Sent, c.Sessions, c.Size, boolBit(c.Reuse), c.Rcpts)
	if r.RelayCPU >= 0 {
		s += fmt.Sprintf(" relay_cpu_s=%.2f", r.RelayCPU)
		if r.Got > 0 {
			s += fmt.Sprintf(" relay_cpu_us_per_msg=%.0f", r.RelayCPU*1e6/float64(r.Got))
		}
		s += fmt.Sprintf(" relay_peak_rss_mib=%.1f relay_procs=%d", float64(r.RelayHWM)/1024, r.RelayProcs)
	} else {
		s += " relay_cpu_s=n/a"
	}
	if r.MilterCPU > 0 && r.Got > 0 {
		s += fmt.Sprintf(" milter_cpu_s=%.2f milter_cpu_us_per_msg=%.0f", r.MilterCPU, r.MilterCPU*1e6/float64(r.Got))
	}
	s += fmt.Sprintf(" sink_cpu_s=%.2f source_cpu_s=%.2f harness_cpu_s=%.2f sys_busy=%.0f%% iowait=%.0f%% steal=%.0f%%",
		r.SinkCPU, r.SourceCPU, r.SelfCPU, 100*r.Busy, 100*r.IOWait, 100*r.Steal)
	if r.SourceErr != "" {
		s += " src_err=" + strconv.Quote(r.SourceErr)
	}
	if r.Stalled {
		s += " stalled=1"
	}
	return s + r.Extra
}

func boolBit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// sourceArgs are smtp-source's arguments for n messages to port.
func sourceArgs(c *config, n, port int) []string {
	a := []string{"-s", strconv.Itoa(c.Sessions), "-m", strconv.Itoa(n), "-l", strconv.Itoa(c.Size),
		"-r", strconv.Itoa(c.Rcpts), "-f", "sender@example.com", "-t", "rcpt@example.net",
		"-M", "bench-client.example"}
	if c.Reuse {
		a = append(a, "-d")
	}
	return append(a, fmt.Sprintf("127.0.0.1:%d", port))
}

// sourceCmd is the load generator's command line for n messages to port,
// on the CPUs of TOOLS_CPUS.
func (r *runner) sourceCmd(n, port int) []string {
	return pinned(r.c.ToolsCPUs, r.sourceArgv(n, port))
}

// sourceArgv is smtp-source, or this program's Go source with the same
// knobs (and STARTTLS with TLS=1, trusting the PKI's CA).
func (r *runner) sourceArgv(n, port int) []string {
	if r.v.Tools == toolsGo {
		a := append([]string{r.t.Self, "_gosource"}, sourceArgs(r.c, n, port)...)
		if r.c.TLS {
			a = slices.Insert(a, 2, "-tls", r.pki.CA)
			if r.v.Groups != "" {
				a = slices.Insert(a, 4, "-groups", r.v.Groups)
			}
			if r.v.NoVerify {
				a = slices.Insert(a, 2, "-noverify")
			}
		}
		return a
	}
	return append([]string{r.t.SmtpSource}, sourceArgs(r.c, n, port)...)
}

// sinkCmd is the sink's command line on port, on the CPUs of TOOLS_CPUS.
func (r *runner) sinkCmd(port int) []string {
	return pinned(r.c.ToolsCPUs, r.sinkArgv(port))
}

// sinkArgv is smtp-sink or the Go sink (which offers STARTTLS with TLS=1).
func (r *runner) sinkArgv(port int) []string {
	if r.v.Tools == toolsGo {
		a := []string{r.t.Self, "_gosink", "-listen", fmt.Sprintf("127.0.0.1:%d", port)}
		if r.c.TLS {
			a = append(a, "-cert", r.pki.Cert, "-key", r.pki.Key)
		}
		if r.v.Chunking {
			a = append(a, "-chunking")
		}
		return a
	}
	return append([]string{r.t.SmtpSink}, smtpSinkArgs(port)...)
}

// drive injects n messages at port with the load generator src and waits
// until the sink count reaches target. It returns the start, the
// generator's exit and the sink's arrival, and stores the generator's CPU
// seconds in srcCPU unless it is nil.
func drive(ctx context.Context, c *config, src []string, s *sink, target int, logf *os.File, srcCPU *float64) (t0, tInj, tEnd time.Time, srcErr, err error) {
	cmd := exec.CommandContext(ctx, src[0], src[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	injected := make(chan time.Time, 1)
	t0 = time.Now()
	if err := cmd.Start(); err != nil {
		return t0, t0, t0, nil, fmt.Errorf("bench: start %s: %w", src[0], err)
	}
	// A generator that fails ends the wait at once rather than after the
	// stall timeout.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		srcErr = cmd.Wait()
		if srcCPU != nil && cmd.ProcessState != nil {
			*srcCPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		}
		injected <- time.Now()
		if srcErr != nil {
			cancel()
		}
	}()
	tEnd, err = s.WaitFor(wctx, target, c.StallTimeout)
	if err != nil {
		_ = cmd.Process.Kill() // a stalled relay must not keep the source alive
	}
	tInj = <-injected
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		err = fmt.Errorf("bench: %s failed (%v) at %d/%d messages", src[0], srcErr, s.Count(), target)
	}
	return t0, tInj, tEnd, srcErr, err
}

// runner holds what lasts across runs: tools, directories, the Postfix
// instance and whatever is running right now (for cleanup on exit).
type runner struct {
	c   *config
	t   *tools
	pf  *pfInstance
	seq int

	v    variant  // of the current run
	pki  pkiFiles // of the current variant's key type
	pkis map[string]pkiFiles

	curSink   *sink
	curRelay  *relayProc
	curMilter *milterProc

	dns              benchDNS     // for filters and relays, started when first needed
	world            *policyWorld // policy= variants: this run's DNS, unbound, MTA-STS host
	hubedge          string       // policy= variants: the hubedge binary
	tokenFile, token string       // the management API's, written with the first relay
}

// cleanup stops whatever this process started and is still running.
func (r *runner) cleanup() {
	r.curRelay.stop()
	r.curRelay = nil
	r.curMilter.stop()
	r.curMilter = nil
	r.dns.close()
	r.world.close()
	r.world = nil
	if r.pf != nil && r.pf.started {
		r.pf.stop()
	}
	r.curSink.stop()
	r.curSink = nil
}

// use makes v the variant of the next runs, creating its PKI once.
func (r *runner) use(v variant) error {
	r.v = v
	if !r.c.TLS {
		return nil
	}
	if p, ok := r.pkis[v.Key]; ok {
		r.pki = p
		return nil
	}
	p, err := writePKI(filepath.Join(r.c.WorkDir, "pki-"+v.Key), v.Key)
	if err != nil {
		return fmt.Errorf("bench: test PKI: %w", err)
	}
	if r.pkis == nil {
		r.pkis = map[string]pkiFiles{}
	}
	r.pkis[v.Key], r.pki = p, p
	return nil
}

// setup starts the sink and (for relays) the relay for one run of kind. It
// returns the port to inject at and, for relays, the session to account.
func (r *runner) setup(ctx context.Context, kind string, logf *os.File) (port, sid int, err error) {
	c := r.c
	sinkPort, port := c.NexthopPort, c.ListenPort
	if kind == kindSink {
		sinkPort, port = c.SinkPort, c.SinkPort
	}
	out := filepath.Join(c.LogDir, fmt.Sprintf("sink.%d.%d.out", sinkPort, r.seq))
	if r.curSink, err = startSink(ctx, r.sinkCmd(sinkPort), sinkPort, out, logf, c.ReadyTimeout); err != nil {
		return 0, 0, err
	}
	switch kind {
	case kindPostfix:
		var tlsFiles *pkiFiles
		if c.TLS {
			tlsFiles = &r.pki
		}
		if err := r.pf.start(ctx, c, tlsFiles); err != nil {
			return 0, 0, err
		}
		sid = r.pf.masterPID() // master calls setsid(): its pid is the session
		if sid == 0 {
			return 0, 0, errors.New("bench: postfix master not running after start")
		}
	case kindRelay:
		qdir := filepath.Join(c.WorkDir, fmt.Sprintf("queue.%d", r.seq))
		if err := os.RemoveAll(qdir); err != nil {
			return 0, 0, err
		}
		if err := os.MkdirAll(qdir, 0o700); err != nil {
			return 0, 0, err
		}
		env, err := r.relayEnv(ctx, qdir, logf)
		if err != nil {
			return 0, 0, err
		}
		switch r.v.Queue {
		case queueMemory:
			env.Queue = "" // the gateway then keeps its queue in memory
		case queueTmpfs:
			if env.Queue, err = r.tmpfsQueue(); err != nil {
				return 0, 0, err
			}
		}
		relayCmd := r.v.RelayCmd
		if r.v.Policy != "" && relayCmd == "" {
			if relayCmd, err = r.policySetup(qdir); err != nil {
				return 0, 0, err
			}
		}
		if r.curRelay, err = startRelay(ctx, c, relayCmd, r.gatewayFor(), r.tlsArgs(), env, logf); err != nil {
			return 0, 0, err
		}
		sid = r.curRelay.SID()
	}
	return port, sid, nil
}

// relayEnv is what the relay of this run is told, the management token
// written, the DNS server started if the command names it, and the
// variant's filter started (its directory beside the queue, qdir.milter).
func (r *runner) relayEnv(ctx context.Context, qdir string, logf *os.File) (relayEnv, error) {
	c := r.c
	env := relayEnv{Listen: fmt.Sprintf("127.0.0.1:%d", c.ListenPort), Nexthop: fmt.Sprintf("127.0.0.1:%d", c.NexthopPort),
		Queue: qdir, Manage: fmt.Sprintf("127.0.0.1:%d", c.ManagePort)}
	if r.tokenFile == "" {
		path := filepath.Join(c.WorkDir, "manage-token")
		token, err := writeToken(path)
		if err != nil {
			return env, fmt.Errorf("bench: management token: %w", err)
		}
		r.tokenFile, r.token = path, token
	}
	env.ManageToken = r.tokenFile
	if strings.Contains(r.v.RelayCmd, "{DNS}") {
		env.DNS = r.dns.addr()
	}
	if r.v.Milter == milterRspamd {
		m, err := startRspamd(ctx, c.MilterPort, qdir+".milter", r.dns.addr(), logf)
		if err != nil {
			return env, err
		}
		r.curMilter, env.Milter = m, m.addr
	}
	return env, nil
}

// teardown stops the relay, filter and sink of a run and removes its queue
// and the filter's directory.
func (r *runner) teardown(kind string) {
	r.curRelay.stop()
	r.curRelay = nil
	r.curMilter.stop()
	r.curMilter = nil
	r.world.close()
	r.world = nil
	if kind == kindPostfix {
		r.pf.stop()
	}
	r.curSink.stop()
	r.curSink = nil
	qdir := filepath.Join(r.c.WorkDir, fmt.Sprintf("queue.%d", r.seq))
	_ = os.RemoveAll(qdir)
	_ = os.RemoveAll(qdir + ".milter")
	_ = os.RemoveAll(qdir + ".world")
	if r.v.Queue == queueTmpfs {
		_ = os.RemoveAll(r.tmpfsQueuePath())
	}
}

// queueWhere says where variant v's gateway keeps its queue, for the
// header: queues of queue=tmpfs are not where the host line says.
func queueWhere(c *config, v variant) string {
	switch v.Queue {
	case queueMemory:
		return "memory"
	case queueTmpfs:
		return fmt.Sprintf("tmpfs (under %s, %s)", tmpfsDir, fsType(tmpfsDir))
	}
	return fmt.Sprintf("disk (under %s, %s)", c.WorkDir, fsType(c.WorkDir))
}

// tmpfsQueuePath is the queue directory of this run for queue=tmpfs.
func (r *runner) tmpfsQueuePath() string {
	return filepath.Join(tmpfsDir, fmt.Sprintf("hubedge-bench-queue.%d.%d", os.Getpid(), r.seq))
}

// tmpfsQueue makes a fresh queue directory for this run on tmpfs, which
// it checks tmpfsDir is: on a disk, queue=tmpfs would measure queue=disk.
func (r *runner) tmpfsQueue() (string, error) {
	if fs := fsType(tmpfsDir); fs != "tmpfs" {
		return "", fmt.Errorf("bench: queue=tmpfs: %s is not a tmpfs (%s)", tmpfsDir, fs)
	}
	dir := r.tmpfsQueuePath()
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o700)
}

// oneRun measures one throughput run of kind.
func (r *runner) oneRun(ctx context.Context, kind string) (*result, error) {
	c := r.c
	r.seq++
	logf, err := os.Create(filepath.Join(c.LogDir, fmt.Sprintf("%s.%d.log", kind, r.seq)))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	defer r.teardown(kind)
	port, sid, err := r.setup(ctx, kind, logf)
	if err != nil {
		return nil, err
	}
	s := r.curSink

	// Untimed warm-up: lets the relay spawn processes and fill caches.
	base := 0
	if c.Warmup > 0 {
		if _, _, _, _, err := drive(ctx, c, r.sourceCmd(c.Warmup, port), s, c.Warmup, logf, nil); err != nil {
			return nil, fmt.Errorf("bench: %s warm-up: %w (log %s)", kind, err, logf.Name())
		}
		base = s.Count()
	}
	r.world.mark()

	n := c.msgs(kind)
	cpu0, sink0, self0 := readCPU(), pidTicks(s.PID()), pidTicks(os.Getpid())
	var relay0, milter0 int64
	if sid > 0 {
		relay0 = sessionTicks(sid)
	}
	if r.curMilter != nil {
		milter0 = sessionTicks(r.curMilter.SID())
	}
	var scr *scraper
	if r.v.Scrape != "" && kind == kindRelay {
		tick := time.NewTicker(scrapeInterval)
		defer tick.Stop()
		scr = startScraper(ctx, fmt.Sprintf("http://127.0.0.1:%d%s", c.ManagePort, r.v.Scrape), r.token, tick.C)
	}
	tls0, res0 := s.TLSCount()
	sess0 := s.Sessions()
	var srcCPU float64
	t0, tInj, tEnd, srcErr, err := drive(ctx, c, r.sourceCmd(n, port), s, base+n, logf, &srcCPU)
	var scraped scrapeStats
	if scr != nil {
		scraped = scr.stop()
	}
	cpu1, sink1, self1 := readCPU(), pidTicks(s.PID()), pidTicks(os.Getpid())
	res := &result{Name: c.vname(kind, r.v), Sent: n, Got: s.Count() - base, RelayCPU: -1,
		Secs: tEnd.Sub(t0).Seconds(), InjectSecs: tInj.Sub(t0).Seconds(), SourceCPU: srcCPU}
	if sid > 0 {
		res.RelayCPU = float64(sessionTicks(sid)-relay0) / clkTck
		res.RelayHWM, res.RelayProcs = sessionHWM(sid)
	}
	if r.curMilter != nil {
		res.MilterCPU = float64(sessionTicks(r.curMilter.SID())-milter0) / clkTck
	}
	if scr != nil {
		res.Extra += scraped.field()
	}
	switch {
	case errors.Is(err, errStalled):
		res.Stalled = true
		logf.WriteString("# " + err.Error() + "\n")
	case err != nil:
		return nil, err
	}
	if srcErr != nil {
		res.SourceErr = srcErr.Error()
	}
	res.SinkCPU = float64(sink1-sink0) / clkTck
	res.SelfCPU = float64(self1-self0) / clkTck
	if dt := float64(cpu1.Total - cpu0.Total); dt > 0 {
		res.Busy = float64(cpu1.Busy-cpu0.Busy) / dt
		res.IOWait = float64(cpu1.IOWait-cpu0.IOWait) / dt
		res.Steal = float64(cpu1.Steal-cpu0.Steal) / dt
	}
	if kind == kindPostfix {
		time.Sleep(time.Second) // let postlogd write the last lines
		res.Extra = r.pf.report(c.Warmup + n)
	}
	if c.TLS {
		// Every timed message must have reached the sink over TLS, or the
		// figure is not a TLS figure.
		tls1, res1 := s.TLSCount()
		res.Extra += fmt.Sprintf(" sink_tls_msgs=%d sink_tls_resumed=%d sink_sessions=%d", tls1-tls0, res1-res0, s.Sessions()-sess0)
	}
	if kind == kindRelay && r.v.Policy != "" && r.v.RelayCmd == "" {
		res.Extra += r.policyCheck(filepath.Join(c.WorkDir, fmt.Sprintf("queue.%d", r.seq)), res.Got)
	}
	return res, nil
}

// gatewayFor is the gateway binary of the current variant.
func (r *runner) gatewayFor() string {
	if r.v.Gateway != "" {
		return r.v.Gateway
	}
	return r.t.Gateway
}

// tlsArgs are the gateway's certificate flags with TLS=1: its receive
// connector offers STARTTLS with the PKI's leaf, and its send connector
// (Internet usage, opportunistic) upgrades toward the sink that offers it.
func (r *runner) tlsArgs() string {
	if !r.c.TLS {
		return ""
	}
	return fmt.Sprintf("-cert %s -key %s -ca %s", r.pki.Cert, r.pki.Key, r.pki.CA)
}

// clkTck is USER_HZ, the unit of /proc CPU times; 100 on every Linux ABI
// Go supports (sysconf(_SC_CLK_TCK) is not reachable without cgo).
const clkTck = 100
