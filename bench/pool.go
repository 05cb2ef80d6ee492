package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Pool mode (`go run ./bench pool`, issue 19) relays through hubedge
// servers (`hubedge run` on bench/scripts/relay.ps1) whose queue is either
// the local WAL queue of one hub or one PostgreSQL database shared by a
// pool of hubs, every kind in every round, on the Go load tools: only the
// Go source spreads its sessions over several addresses.

// poolKind is one configuration of pool mode: local (one hub, -queue DIR)
// or poolN (N hubs, -queue-postgres on one database).
type poolKind struct {
	Name string
	Hubs int
	PG   bool
}

// defaultPool is POOL's default: the local queue against one, two and
// three hubs on PostgreSQL.
const defaultPool = "local pool1 pool2 pool3"

// maxPoolHubs bounds poolN: each hub holds a pool of connections, and the
// server allows 300.
const maxPoolHubs = 9

// parsePool reads POOL: space-separated kinds, "local" or "poolN" with N
// from 1 to maxPoolHubs, each at most once.
func parsePool(spec string) ([]poolKind, error) {
	var out []poolKind
	var errs []error
	seen := map[string]bool{}
	for _, f := range strings.Fields(spec) {
		k := poolKind{Name: f, Hubs: 1}
		if f != "local" {
			n, err := strconv.Atoi(strings.TrimPrefix(f, "pool"))
			if !strings.HasPrefix(f, "pool") || err != nil || n < 1 || n > maxPoolHubs || f != "pool"+strconv.Itoa(n) {
				errs = append(errs, fmt.Errorf("bench: POOL: bad kind %q (want local or pool1 ... pool%d)", f, maxPoolHubs))
				continue
			}
			k.Hubs, k.PG = n, true
		}
		if seen[f] {
			errs = append(errs, fmt.Errorf("bench: POOL: %q given twice", f))
			continue
		}
		seen[f] = true
		out = append(out, k)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("bench: POOL is empty"))
	}
	return out, errors.Join(errs...)
}

// hubName is hub i's server name (from 1): the name setup's connectors
// carry and, with -queue-postgres, the hub's name in the pool.
func hubName(i int) string { return fmt.Sprintf("Hub%d", i) }

// hubScript is what each hub runs after bench/scripts/relay.ps1: setup's
// receive connectors removed (hub.ps1 does that for Relay01 only; a
// pool's hubs need names of their own) and relay.ps1's connectors moved
// to the hub's port and the run's sink, so that several hubs can listen
// at once and a bench on the default ports is not in the way.
func hubScript(name string, port, sinkPort int) string {
	return fmt.Sprintf(`# Written by go run ./bench pool for hub %[1]s: after bench/scripts/relay.ps1.
Remove-ReceiveConnector "Default %[1]s" -Confirm:$false
Remove-ReceiveConnector "Client %[1]s" -Confirm:$false
Set-ReceiveConnector "From Bench" -Bindings 127.0.0.1:%[2]d
Set-SendConnector "To Sink" -Port %[3]d
`, name, port, sinkPort)
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// hubCommand is hub i's command line: `hubedge run` on relay.ps1 and its
// own script, with the local queue in queueDir or the pool's queue at
// dsn. It logs warnings only, and its grace is under the 5 s after which
// the harness kills the process group.
func hubCommand(bin, relayScript, ownScript, name, queueDir, dsn string) string {
	args := []string{bin, "run", "-server", name, "-role", "hub", "-log", "warn", "-grace", "4s"}
	if dsn != "" {
		args = append(args, "-queue-postgres", dsn)
	} else {
		args = append(args, "-queue", queueDir)
	}
	args = append(args, relayScript, ownScript)
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// freePorts returns n distinct loopback ports nothing listens on now: a
// pool run needs a sink and up to maxPoolHubs hubs at once, and picking
// them afresh keeps it clear of a bench running on the fixed ports.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("bench: free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// poolSourceCmd is the Go source's command line for n messages spread
// over the hubs' ports.
func poolSourceCmd(self string, c *config, n int, ports []int) []string {
	a := append([]string{self, "_gosource"}, sourceArgs(c, n, ports[0])...)
	for _, p := range ports[1:] {
		a = append(a, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return a
}

// poolResult is one pool run: the common figures and PostgreSQL's.
type poolResult struct {
	*result
	Kind poolKind
	// PGCPU is PostgreSQL's CPU seconds in the timed window (the
	// postmaster and all its children); negative for the local queue.
	PGCPU float64
	// WriteXacts are the transactions that wrote in the timed window.
	WriteXacts int64
	// Commits and WALSyncs are counted over the database's whole life,
	// from before the hubs start until all their sessions have ended,
	// since sessions report them late; LifeMsgs (warm-up plus timed
	// messages) divides them.
	Commits, WALSyncs int64
	LifeMsgs          int
	Load1             float64 // one-minute load average at the end
}

// per is x per message, NaN without messages.
func per(x float64, msgs int) float64 {
	if msgs <= 0 {
		return math.NaN()
	}
	return x / float64(msgs)
}

// pgFields are the PostgreSQL figures of one run or one median line.
func pgFields(cpuPer, commits, writes, syncs float64) string {
	s := fmt.Sprintf(" pg_cpu_us_per_msg=%.0f commits_per_msg=%.2f write_xacts_per_msg=%.2f wal_syncs_per_msg=%.3f", cpuPer, commits, writes, syncs)
	if syncs > 0 {
		s += fmt.Sprintf(" msgs_per_wal_sync=%.1f", 1/syncs)
	}
	return s
}

// Line is the run's line: the common fields of result.Line, then the
// hubs and, on PostgreSQL, its CPU and commits per message.
func (p *poolResult) Line(c *config) string {
	s := p.result.Line(c) + fmt.Sprintf(" hubs=%d store=%s", p.Kind.Hubs, p.store())
	if p.Kind.PG {
		s += fmt.Sprintf(" pg_cpu_s=%.2f", p.PGCPU)
		s += pgFields(per(p.PGCPU*1e6, p.Got), per(float64(p.Commits), p.LifeMsgs),
			per(float64(p.WriteXacts), p.Got), per(float64(p.WALSyncs), p.LifeMsgs))
	}
	return s + fmt.Sprintf(" load1=%.2f", p.Load1)
}

func (p *poolResult) store() string {
	if p.Kind.PG {
		return "postgres"
	}
	return "local"
}

// poolSummary prints the medians of every kind, each metric's median over
// the rounds, with the rate's ratio to the local queue's median.
func poolSummary(c *config, rs []*poolResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# pool medians over %d run(s), sessions=%d size=%d reuse=%s rcpts=%d warmup=%d:\n",
		c.Runs, c.Sessions, c.Size, boolBit(c.Reuse), c.Rcpts, c.Warmup)
	// The local queue's median rate first, whatever POOL's order.
	localRate := math.NaN()
	var localRates []float64
	for _, r := range rs {
		if !r.Kind.PG {
			localRates = append(localRates, r.Rate())
		}
	}
	if len(localRates) > 0 {
		localRate = median(localRates)
	}
	pool1Rate := math.NaN()
	for _, k := range c.Pool {
		var rate, secs, cpu, rss, pgcpu, commits, writes, syncs []float64
		stalled := 0
		for _, r := range rs {
			if r.Kind.Name != k.Name {
				continue
			}
			rate, secs = append(rate, r.Rate()), append(secs, r.Secs)
			cpu = append(cpu, per(r.RelayCPU*1e6, r.Got))
			rss = append(rss, float64(r.RelayHWM)/1024)
			pgcpu = append(pgcpu, per(r.PGCPU*1e6, r.Got))
			commits = append(commits, per(float64(r.Commits), r.LifeMsgs))
			writes = append(writes, per(float64(r.WriteXacts), r.Got))
			syncs = append(syncs, per(float64(r.WALSyncs), r.LifeMsgs))
			if r.Stalled {
				stalled++
			}
		}
		if len(rate) == 0 {
			continue
		}
		if k.Name == "pool1" {
			pool1Rate = median(rate)
		}
		fmt.Fprintf(&b, "relay=%s msgs=%d secs=%.2f rate=%.0f/s median_of=%d hubs=%d ratio_vs_local=%s",
			k.Name, c.Msgs, median(secs), median(rate), len(rate), k.Hubs, ratio(median(rate), localRate, 3))
		fmt.Fprintf(&b, " relay_cpu_us_per_msg=%.0f relay_peak_rss_mib=%.1f", median(cpu), median(rss))
		if k.PG {
			b.WriteString(pgFields(median(pgcpu), median(commits), median(writes), median(syncs)))
		}
		if stalled > 0 {
			fmt.Fprintf(&b, " stalled_runs=%d", stalled)
		}
		b.WriteByte('\n')
	}
	if !math.IsNaN(localRate) && !math.IsNaN(pool1Rate) {
		fmt.Fprintf(&b, "# pool1 / local = %s x (same run; median rates %.0f/s vs %.0f/s; issue 19 asks >= 0.5 at 4 KiB)\n",
			ratio(pool1Rate, localRate, 2), pool1Rate, localRate)
	}
	return b.String()
}

// poolRunner holds what pool mode keeps across runs.
type poolRunner struct {
	c                    *config
	self, hubedge        string
	relayScript, scripts string // bench/scripts/relay.ps1; where the hubs' own scripts go
	pg                   *pgServer
	seq                  int

	sink *sink
	hubs []*relayProc
}

// poolBench is pool mode: RUNS rounds of every POOL kind, interleaved, and
// the medians.
func poolBench(ctx context.Context, c *config, stdout io.Writer) error {
	if c.TLS {
		return errors.New("bench: pool mode runs in plaintext (TLS=1 is not supported there)")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	r := &poolRunner{c: c, hubedge: c.HubedgeBin, relayScript: filepath.Join(root, "bench", "scripts", "relay.ps1"),
		scripts: filepath.Join(c.WorkDir, "pool-scripts")}
	if r.self, err = os.Executable(); err != nil {
		return err
	}
	for _, d := range []string{c.WorkDir, c.LogDir, r.scripts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if r.hubedge == "" {
		// Built beforehand, so that compile CPU never counts as the hubs'.
		note("building ./cmd/hubedge")
		r.hubedge = filepath.Join(c.WorkDir, "bin", "hubedge")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", r.hubedge, "./cmd/hubedge")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("bench: go build ./cmd/hubedge (or set HUBEDGE_BIN): %v\n%s", err, out)
		}
	}
	needPG := false
	for _, k := range c.Pool {
		needPG = needPG || k.PG
	}
	if fsType(c.WorkDir) == "tmpfs" {
		note("WARNING: WORKDIR is on tmpfs: fsync is free there, for the local queue and PostgreSQL alike; set WORKDIR to a disk for honest figures")
	}
	if needPG {
		note("starting a throwaway PostgreSQL in %s", filepath.Join(c.WorkDir, "pg"))
		if r.pg, err = startPG(ctx, filepath.Join(c.WorkDir, "pg")); err != nil {
			return err
		}
		defer r.pg.stop()
		if v, err := exec.Command(filepath.Join(r.pg.bin, "postgres"), "--version").Output(); err == nil {
			note("%s: data in %s (%s), socket in %s, fsync=on synchronous_commit=on", strings.TrimSpace(string(v)),
				r.pg.data, fsType(c.WorkDir), r.pg.sock)
		}
	}
	names := make([]string, len(c.Pool))
	for i, k := range c.Pool {
		names[i] = k.Name
	}
	note("mode=pool kinds=%q msgs=%d sessions=%d size=%d runs=%d warmup=%d reuse=%s rcpts=%d hubedge=%s logs=%s",
		strings.Join(names, " "), c.Msgs, c.Sessions, c.Size, c.Runs, c.Warmup, boolBit(c.Reuse), c.Rcpts, r.hubedge, c.LogDir)
	results, err := os.Create(filepath.Join(c.LogDir, "results.txt"))
	if err != nil {
		return err
	}
	defer results.Close()
	emit := func(line string) {
		fmt.Fprintln(stdout, line)
		fmt.Fprintln(results, line)
	}
	var all []*poolResult
	for round := 1; round <= c.Runs; round++ {
		for _, k := range c.Pool {
			note("round %d/%d: %s (%s)", round, c.Runs, k.Name, loadavg())
			res, err := r.oneRun(ctx, k)
			if err != nil {
				return err
			}
			emit(res.Line(c))
			all = append(all, res)
		}
	}
	emit(strings.TrimSuffix(poolSummary(c, all), "\n"))
	note("done (%s)", loadavg())
	return nil
}

// loadavg is /proc/loadavg's first three fields, for the log.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load ?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load ?"
	}
	return "load " + strings.Join(f[:3], " ")
}

// load1 is the one-minute load average, NaN if unreadable.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// teardown stops the hubs and the sink of the current run; safe to call
// more than once.
func (r *poolRunner) teardown() {
	r.stopHubs()
	r.sink.stop()
	r.sink = nil
}

func (r *poolRunner) stopHubs() {
	for _, h := range r.hubs {
		h.stop()
	}
	r.hubs = nil
	_ = os.Remove(hubsFile(r.c.WorkDir))
}

// hubsFile lists the running hubs' pids: they run in sessions of their
// own, so a bench killed hard leaves them behind, and cleanup stops them.
func hubsFile(workDir string) string { return filepath.Join(workDir, "pool-hubs") }

// recordHubs rewrites hubsFile with the hubs running now.
func (r *poolRunner) recordHubs() error {
	var b strings.Builder
	for _, h := range r.hubs {
		fmt.Fprintln(&b, h.SID())
	}
	return os.WriteFile(hubsFile(r.c.WorkDir), []byte(b.String()), 0o644)
}

// isPoolHub reports whether argv (a process's /proc/PID/cmdline) is a hub
// as hubCommand starts them, so that cleanup never signals a process that
// merely took a recorded pid.
func isPoolHub(argv []string) bool {
	return len(argv) > 9 && argv[1] == "run" && argv[2] == "-server" && strings.HasPrefix(argv[3], "Hub") &&
		strings.Join(argv[4:10], " ") == "-role hub -log warn -grace 4s"
}

// stopLeftoverHubs kills the process groups of the hubs a killed pool run
// left running in workDir's record.
func stopLeftoverHubs(workDir string) {
	b, err := os.ReadFile(hubsFile(workDir))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 1 {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err != nil || st.Session != pid || !isPoolHub(strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")) {
			continue
		}
		note("stopping hub process group %d that a previous pool run left", pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	_ = os.Remove(hubsFile(workDir))
}

// startHubs starts k's hubs, each on its port, all relaying to the sink
// on sinkPort, with the local queue in a fresh directory or the pool's
// queue at dsn.
func (r *poolRunner) startHubs(ctx context.Context, k poolKind, ports []int, sinkPort int, dsn string, logf *os.File) error {
	for i, port := range ports {
		name := hubName(i + 1)
		own := filepath.Join(r.scripts, fmt.Sprintf("%s.%d.ps1", name, r.seq))
		if err := os.WriteFile(own, []byte(hubScript(name, port, sinkPort)), 0o644); err != nil {
			return err
		}
		env := relayEnv{Listen: fmt.Sprintf("127.0.0.1:%d", port), Nexthop: fmt.Sprintf("127.0.0.1:%d", sinkPort)}
		if !k.PG {
			env.Queue = filepath.Join(r.c.WorkDir, fmt.Sprintf("pool-queue.%d", r.seq))
			if err := os.RemoveAll(env.Queue); err != nil {
				return err
			}
			if err := os.MkdirAll(env.Queue, 0o700); err != nil {
				return err
			}
		}
		// startRelay watches the listen port of its config: this hub's.
		cc := *r.c
		cc.ListenPort, cc.NexthopPort = port, sinkPort
		h, err := startRelay(ctx, &cc, hubCommand(r.hubedge, r.relayScript, own, name, env.Queue, dsn), "", "", env, logf)
		if err != nil {
			return err
		}
		r.hubs = append(r.hubs, h)
		if err := r.recordHubs(); err != nil {
			return err
		}
	}
	return nil
}

// hubsTicks sums the CPU ticks of the hubs' sessions.
func (r *poolRunner) hubsTicks() int64 {
	var t int64
	for _, h := range r.hubs {
		t += sessionTicks(h.SID())
	}
	return t
}

// oneRun measures one run of k: sink, hubs (and a new database), warm-up,
// the timed window, then the hubs stopped and PostgreSQL's counters read
// once every session of theirs has ended.
func (r *poolRunner) oneRun(ctx context.Context, k poolKind) (*poolResult, error) {
	c := r.c
	r.seq++
	logf, err := os.Create(filepath.Join(c.LogDir, fmt.Sprintf("pool-%s.%d.log", k.Name, r.seq)))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	defer r.teardown()
	defer os.RemoveAll(filepath.Join(c.WorkDir, fmt.Sprintf("pool-queue.%d", r.seq)))

	ports, err := freePorts(1 + k.Hubs)
	if err != nil {
		return nil, err
	}
	sinkPort, hubPorts := ports[0], ports[1:]
	out := filepath.Join(c.LogDir, fmt.Sprintf("pool-sink.%d.out", r.seq))
	if r.sink, err = startSink(ctx, []string{r.self, "_gosink", "-listen", fmt.Sprintf("127.0.0.1:%d", sinkPort)},
		sinkPort, out, logf, c.ReadyTimeout); err != nil {
		return nil, err
	}
	var db, dsn string
	var life0 pgCounts
	if k.PG {
		if db, err = r.pg.newDB(ctx); err != nil {
			return nil, err
		}
		defer func() {
			r.stopHubs() // before their database goes, on an error path too
			r.pg.dropDB(db)
		}()
		dsn = r.pg.dsn(db)
		if life0, err = r.pg.counts(ctx, db); err != nil {
			return nil, err
		}
	}
	if err := r.startHubs(ctx, k, hubPorts, sinkPort, dsn, logf); err != nil {
		return nil, err
	}
	s := r.sink

	base := 0
	if c.Warmup > 0 {
		if _, _, _, _, err := drive(ctx, c, poolSourceCmd(r.self, c, c.Warmup, hubPorts), s, c.Warmup, logf, nil); err != nil {
			return nil, fmt.Errorf("bench: %s warm-up: %w (log %s)", k.Name, err, logf.Name())
		}
		base = s.Count()
	}

	var pm int
	var xid0 int64
	if k.PG {
		if pm, err = r.pg.pid(); err != nil {
			return nil, err
		}
		if xid0, err = r.pg.nextXID(ctx); err != nil {
			return nil, err
		}
	}
	cpu0, sink0, self0, hubs0 := readCPU(), pidTicks(s.PID()), pidTicks(os.Getpid()), r.hubsTicks()
	var pg0 int64
	if k.PG {
		pg0 = treeTicks(pm)
	}
	var srcCPU float64
	t0, tInj, tEnd, srcErr, err := drive(ctx, c, poolSourceCmd(r.self, c, c.Msgs, hubPorts), s, base+c.Msgs, logf, &srcCPU)
	cpu1, sink1, self1, hubs1 := readCPU(), pidTicks(s.PID()), pidTicks(os.Getpid()), r.hubsTicks()
	res := &poolResult{Kind: k, PGCPU: -1, Load1: load1(), result: &result{Name: k.Name, Sent: c.Msgs, Got: s.Count() - base,
		Secs: tEnd.Sub(t0).Seconds(), InjectSecs: tInj.Sub(t0).Seconds(), SourceCPU: srcCPU,
		RelayCPU: float64(hubs1-hubs0) / clkTck}}
	if k.PG {
		res.PGCPU = float64(treeTicks(pm)-pg0) / clkTck
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
	if k.PG {
		xid1, err := r.pg.nextXID(ctx)
		if err != nil {
			return nil, err
		}
		res.WriteXacts = xid1 - xid0
	}
	for _, h := range r.hubs {
		hwm, procs := sessionHWM(h.SID())
		res.RelayHWM += hwm
		res.RelayProcs += procs
	}
	res.SinkCPU = float64(sink1-sink0) / clkTck
	res.SelfCPU = float64(self1-self0) / clkTck
	if dt := float64(cpu1.Total - cpu0.Total); dt > 0 {
		res.Busy = float64(cpu1.Busy-cpu0.Busy) / dt
		res.IOWait = float64(cpu1.IOWait-cpu0.IOWait) / dt
		res.Steal = float64(cpu1.Steal-cpu0.Steal) / dt
	}
	// Stopped hubs finish their deletions, and their sessions report
	// their statistics as they end.
	r.stopHubs()
	if k.PG {
		if err := r.pg.waitIdle(ctx, db, 30*time.Second); err != nil {
			return nil, err
		}
		life1, err := r.pg.counts(ctx, db)
		if err != nil {
			return nil, err
		}
		res.Commits, res.WALSyncs = life1.Commits-life0.Commits, life1.WALSyncs-life0.WALSyncs
		res.LifeMsgs = s.Count()
	}
	return res, nil
}
