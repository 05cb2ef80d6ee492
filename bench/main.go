package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout))
}

// note logs progress to stderr; results go to stdout.
func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// kindsFor maps a mode to the kinds it measures, in order.
func kindsFor(mode string, c *config) ([]string, error) {
	switch mode {
	case "compare", "latency":
		return c.Relays, nil
	case kindSink, kindPostfix, kindRelay:
		return []string{mode}, nil
	case "idle":
		return []string{kindRelay}, nil
	}
	return nil, fmt.Errorf("bench: unknown mode %q", mode)
}

func run(args []string, getenv func(string) string, stdout io.Writer) int {
	mode := "compare"
	if len(args) > 0 {
		mode = args[0]
	}
	// The Go load tools run as processes of their own, re-executed from
	// this binary, so their CPU is theirs and not the harness's.
	switch mode {
	case "_gosink":
		return goSinkMain(args[1:], stdout)
	case "_gosource":
		return goSourceMain(args[1:])
	}
	if mode == "help" || mode == "-h" || mode == "--help" || len(args) > 1 {
		fmt.Fprint(os.Stderr, usage)
		if mode == "help" || mode == "-h" || mode == "--help" {
			return 0
		}
		return 2
	}
	c, err := loadConfig(getenv)
	if err != nil {
		note("%v", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, mode, c, stdout); err != nil {
		if ctx.Err() != nil {
			note("interrupted; everything this run started has been stopped")
			return 130
		}
		note("ERROR: %v", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, mode string, c *config, stdout io.Writer) error {
	pf := &pfInstance{dir: filepath.Join(c.WorkDir, "postfix")}
	if mode == "cleanup" {
		pf.t = &tools{Postfix: findTool("postfix")}
		if pf.t.Postfix != "" {
			pf.stop()
		}
		// What a killed pool run left: its hubs, then its PostgreSQL.
		stopLeftoverHubs(c.WorkDir)
		if pg, err := newPGServer(filepath.Join(c.WorkDir, "pg")); err == nil {
			pg.stopLeftover(ctx)
		}
		note("removing %s", c.WorkDir)
		return os.RemoveAll(c.WorkDir)
	}
	if mode == "pool" {
		return poolBench(ctx, c, stdout)
	}
	kinds, err := kindsFor(mode, c)
	if err != nil {
		return err
	}
	needPostfix := slices.Contains(kinds, kindPostfix)
	if needPostfix && os.Geteuid() != 0 {
		return errors.New("bench: the throwaway Postfix relay needs root (Postfix's master runs as root); " +
			"run as root or set RELAYS=\"sink relay\"")
	}
	t, err := ensureTools(ctx, needPostfix)
	if err != nil {
		return err
	}
	pf.t = t
	if (c.RelayCPUs != "" || c.ToolsCPUs != "") && findTool("taskset") == "" {
		return errors.New("bench: RELAY_CPUS and TOOLS_CPUS need taskset (Debian's util-linux)")
	}
	if t.Self, err = os.Executable(); err != nil {
		return err
	}
	for _, d := range []string{c.WorkDir, c.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	needBuild := slices.ContainsFunc(c.Variants, func(v variant) bool { return v.Gateway == "" && v.RelayCmd == "" && v.Policy == "" })
	if slices.Contains(kinds, kindRelay) && needBuild {
		if t.Gateway = c.Gateway; t.Gateway == "" {
			note("building ./examples/gateway")
			if t.Gateway, err = buildGateway(ctx, filepath.Join(c.WorkDir, "bin")); err != nil {
				return err
			}
		}
	}
	var hubedge string
	if slices.Contains(kinds, kindRelay) && slices.ContainsFunc(c.Variants, func(v variant) bool { return v.Policy != "" && v.RelayCmd == "" }) {
		if hubedge, err = policyHubedge(ctx, c); err != nil {
			return err
		}
	}
	header(c, mode, t)

	r := &runner{c: c, t: t, pf: pf, hubedge: hubedge}
	defer r.cleanup()
	results, err := os.Create(filepath.Join(c.LogDir, "results.txt"))
	if err != nil {
		return err
	}
	defer results.Close()
	emit := func(line string) {
		fmt.Fprintln(stdout, line)
		fmt.Fprintln(results, line)
	}

	if err := r.use(c.Variants[0]); err != nil {
		return err
	}
	if mode == "idle" {
		line, err := r.idleRun(ctx)
		if line != "" {
			emit(line)
		}
		return err
	}
	if mode == "latency" {
		for _, kind := range kinds {
			lines, err := r.latencyRun(ctx, kind)
			for _, l := range lines {
				emit(l)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	var all []*result
	// Kinds are interleaved within each round so slow drift of the machine
	// hits all of them alike.
	for round := 1; round <= c.Runs; round++ {
		for _, v := range c.Variants {
			if err := r.use(v); err != nil {
				return err
			}
			for _, kind := range kinds {
				note("round %d/%d: %s", round, c.Runs, c.vname(kind, v))
				res, err := r.oneRun(ctx, kind)
				if err != nil {
					return err
				}
				emit(res.Line(c))
				all = append(all, res)
			}
		}
	}
	c.Relays = kinds
	emit(strings.TrimSuffix(summary(c, all), "\n"))
	return nil
}

// header logs the knobs and the machine, so a pasted result carries them.
func header(c *config, mode string, t *tools) {
	if mode == "idle" {
		note("mode=idle idle_conns=%d logs=%s", c.IdleConns, c.LogDir)
	} else if mode == "latency" {
		note("mode=latency lat_sessions=%v lat_msgs=%d size=%d warmup=%d rcpts=%d logs=%s",
			c.LatSessions, c.LatMsgs, c.Size, c.Warmup, c.Rcpts, c.LogDir)
	} else {
		note("mode=%s msgs=%d sink_msgs=%d sessions=%d size=%d runs=%d warmup=%d reuse=%s rcpts=%d tls=%s%s logs=%s",
			mode, c.Msgs, c.SinkMsgs, c.Sessions, c.Size, c.Runs, c.Warmup, boolBit(c.Reuse), c.Rcpts, boolBit(c.TLS), c.placement(), c.LogDir)
	}
	for _, v := range c.Variants {
		note("variant %q: tools=%s key=%s groups=%s verify=%t gateway=%s relay_cmd=%q scrape=%q milter=%q policy=%q queue=%s",
			v.Label, v.Tools, v.Key, v.Groups, !v.NoVerify, cmp.Or(v.Gateway, "(default)"), v.RelayCmd, v.Scrape, v.Milter, v.Policy, queueWhere(c, v))
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kib int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kib); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	note("host: %d cpus, %s RAM, kernel %s, queues on %s (%s)",
		runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), c.WorkDir, fsType(c.WorkDir))
	if fsType(c.WorkDir) == "tmpfs" {
		note("WARNING: WORKDIR is on tmpfs: fsync is free there; set WORKDIR to a disk for honest figures")
	}
	if cost, err := measureSyncCost(c.WorkDir); err != nil {
		note("disk: cannot measure a durable write: %v", err)
	} else {
		note("disk: a %d-byte write and its fdatasync cost %s (the floor under a durable relay's CPU per commit; a sink pays none)",
			syncProbeSize, cost)
	}
	if t.Postconf != "" {
		if v, err := exec.Command(t.Postconf, "-d", "-h", "mail_version").Output(); err == nil {
			note("postfix %s (throwaway instance in %s)", strings.TrimSpace(string(v)), filepath.Join(c.WorkDir, "postfix"))
		}
	}
	switch {
	case c.RelayCmd != "":
		note("relay %s: %s", c.RelayName, c.RelayCmd)
	case t.Gateway != "":
		note("relay %s: %s %s", c.RelayName, t.Gateway,
			strings.Join(gatewayArgs(fmt.Sprintf("127.0.0.1:%d", c.ListenPort),
				fmt.Sprintf("127.0.0.1:%d", c.NexthopPort), "{QUEUE}", c.GwArgs), " "))
	}
}
