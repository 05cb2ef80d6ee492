package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pfInstance is a throwaway Postfix relay with its own configuration, queue
// and data directories under dir. It listens only on 127.0.0.1:LISTEN_PORT,
// relays everything from loopback to the sink and delivers nothing locally.
// Postfix's defaults are kept, so every queue file is fsynced before "250".
// The system's Postfix (if any) is never touched: every command carries
// -c dir/etc and the instance's pid file lives in its own queue directory.
type pfInstance struct {
	t       *tools
	dir     string
	port    int // listen port of the running instance
	started bool
}

func (p *pfInstance) etc() string     { return filepath.Join(p.dir, "etc") }
func (p *pfInstance) queue() string   { return filepath.Join(p.dir, "queue") }
func (p *pfInstance) maillog() string { return filepath.Join(p.dir, "maillog") }

func (p *pfInstance) run(ctx context.Context, args ...string) ([]byte, error) {
	return p.runOn(ctx, "", args...)
}

// runOn is run with the postfix command confined to cpus (see pinned):
// the master it starts, and every daemon the master forks, keep the list.
func (p *pfInstance) runOn(ctx context.Context, cpus string, args ...string) ([]byte, error) {
	argv := pinned(cpus, append([]string{p.t.Postfix, "-c", p.etc()}, args...))
	return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
}

// mainCF is the instance's main.cf.
func mainCF(dir string, listenPort, nexthopPort, concurrency int) string {
	return fmt.Sprintf(`# Throwaway relay instance of hubedge's bench - not the system Postfix.
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pfbench.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:%[3]d
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_destination_concurrency_limit = %[4]d
default_process_limit = 300
biff = no
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
# listen port (master.cf): %[2]d
`, dir, listenPort, nexthopPort, concurrency)
}

// tlsCF are the main.cf settings of TLS=1: STARTTLS offered to clients
// with the PKI's leaf (and its chain), and required toward the next hop,
// without certificate checks (encrypt), as the gateway's opportunistic
// send connector does once the next hop offers STARTTLS.
func tlsCF(f pkiFiles) string {
	return fmt.Sprintf(`smtpd_tls_security_level = may
smtpd_tls_cert_file = %s
smtpd_tls_key_file = %s
smtp_tls_security_level = encrypt
smtp_tls_CAfile = %s
tls_random_source = dev:/dev/urandom
`, f.Cert, f.Key, f.CA)
}

// masterCF is the instance's master.cf: only what a relay needs, no chroot.
// tlsmgr serves the TLS session caches and PRNG seed; tlsproxy lets
// PF_POSTCONF turn on smtp_tls_connection_reuse.
func masterCF(listenPort int) string {
	services := []string{
		fmt.Sprintf("127.0.0.1:%d inet n - n - - smtpd", listenPort),
		"pickup unix n - n 60 1 pickup",
		"cleanup unix n - n - 0 cleanup",
		"qmgr unix n - n 300 1 qmgr",
		"rewrite unix - - n - - trivial-rewrite",
		"bounce unix - - n - 0 bounce",
		"defer unix - - n - 0 bounce",
		"trace unix - - n - 0 bounce",
		"verify unix - - n - 1 verify",
		"flush unix n - n 1000? 0 flush",
		"proxymap unix - - n - - proxymap",
		"proxywrite unix - - n - 1 proxymap",
		"smtp unix - - n - - smtp",
		"relay unix - - n - - smtp",
		"showq unix n - n - - showq",
		"error unix - - n - - error",
		"retry unix - - n - - error",
		"discard unix - - n - - discard",
		"anvil unix - - n - 1 anvil",
		"scache unix - - n - 1 scache",
		"postlog unix-dgram n - n - 1 postlogd",
		"tlsmgr unix - - n 1000? 1 tlsmgr",
		"tlsproxy unix - - n - 0 tlsproxy",
	}
	return strings.Join(services, "\n") + "\n"
}

// start writes a fresh configuration (an empty queue every time), checks it
// and starts the instance; with tlsFiles, STARTTLS on both of its hops.
func (p *pfInstance) start(ctx context.Context, c *config, tlsFiles *pkiFiles) error {
	if err := portFree(c.ListenPort); err != nil {
		return err
	}
	if p.masterPID() > 0 {
		return fmt.Errorf("bench: a Postfix instance from an earlier run is still running in %s; run \"go run ./bench cleanup\"", p.dir)
	}
	if err := os.RemoveAll(p.dir); err != nil {
		return err
	}
	for _, d := range []string{p.etc(), p.queue(), filepath.Join(p.dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if out, err := exec.CommandContext(ctx, "chown", "postfix", filepath.Join(p.dir, "data")).CombinedOutput(); err != nil {
		return fmt.Errorf("bench: chown postfix: %v: %s", err, out)
	}
	cf := mainCF(p.dir, c.ListenPort, c.NexthopPort, c.PfConcurrency)
	if tlsFiles != nil {
		cf += tlsCF(*tlsFiles)
	} else {
		cf += "smtp_tls_security_level = none\nsmtpd_tls_security_level = none\n"
	}
	files := map[string]string{
		filepath.Join(p.etc(), "main.cf"):   cf,
		filepath.Join(p.etc(), "master.cf"): masterCF(c.ListenPort),
		p.maillog():                         "",
	}
	for name, body := range files {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			return err
		}
	}
	for _, kv := range c.PfPostconf {
		cmd := exec.CommandContext(ctx, p.t.Postconf, "-c", p.etc(), "-e", kv)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("bench: postconf -e %s: %v: %s", kv, err, out)
		}
	}
	if out, err := p.run(ctx, "check"); err != nil {
		return fmt.Errorf("bench: postfix check: %v: %s", err, lastLines(out, 10))
	}
	if out, err := p.runOn(ctx, c.RelayCPUs, "start"); err != nil {
		log, _ := os.ReadFile(p.maillog())
		return fmt.Errorf("bench: postfix start: %v: %s %s", err, out, lastLines(log, 10))
	}
	p.started, p.port = true, c.ListenPort
	if err := waitBanner(ctx, c.ListenPort, c.ReadyTimeout); err != nil {
		return fmt.Errorf("bench: postfix smtpd on port %d: %w", c.ListenPort, err)
	}
	return nil
}

// masterPID is the pid of this instance's running master, or 0.
func (p *pfInstance) masterPID() int {
	b, err := os.ReadFile(filepath.Join(p.queue(), "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	// Guard against a recycled pid: it must be a master using our config.
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !bytes.Contains(cmdline, []byte("master")) {
		return 0
	}
	return pid
}

// stop asks the instance to stop, waits up to 10 s for its master to exit
// and then aborts it.
func (p *pfInstance) stop() {
	pid := p.masterPID()
	if pid == 0 {
		p.started = false
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = p.run(ctx, "stop")
	for i := 0; i < 100 && p.masterPID() > 0; i++ {
		time.Sleep(100 * time.Millisecond) // polling an external daemon's exit
	}
	if p.masterPID() > 0 {
		_, _ = p.run(ctx, "abort")
	}
	// Exiting smtpd processes release the listening socket a moment later.
	for i := 0; i < 100 && p.port > 0 && portFree(p.port) != nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	p.started = false
}

// report counts deliveries in the instance's log (warm-up included: want is
// the number injected so far) and files left in its queue: a sanity check
// that Postfix relayed what the sink counted.
func (p *pfInstance) report(want int) string {
	log, _ := os.ReadFile(p.maillog())
	left := 0
	for _, q := range []string{"incoming", "active", "deferred", "hold"} {
		_ = filepath.WalkDir(filepath.Join(p.queue(), q), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left++
			}
			return nil
		})
	}
	return fmt.Sprintf(" pf_sent=%d/%d pf_deferred=%d pf_left_in_queue=%d",
		bytes.Count(log, []byte("status=sent")), want, bytes.Count(log, []byte("status=deferred")), left)
}
