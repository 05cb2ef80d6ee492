package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tools are the external programs the benchmark drives.
type tools struct {
	SmtpSource, SmtpSink string
	Postfix, Postconf    string // empty when Postfix is not needed
	Gateway              string // built or given hubedge gateway
	Self                 string // this program, for the Go load tools
}

// sbinDirs are searched after PATH: Debian puts Postfix's programs in
// /usr/sbin, which is not on a normal user's PATH.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}

func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// ensureTools finds smtp-source, smtp-sink and (if needPostfix) postfix and
// postconf. When any is missing and we are root on a Debian-like system, it
// installs the postfix package with debconf's "No configuration", which
// leaves the system's own Postfix unconfigured and stopped.
func ensureTools(ctx context.Context, needPostfix bool) (*tools, error) {
	find := func() (*tools, []string) {
		t := &tools{SmtpSource: findTool("smtp-source"), SmtpSink: findTool("smtp-sink")}
		var missing []string
		if t.SmtpSource == "" {
			missing = append(missing, "smtp-source")
		}
		if t.SmtpSink == "" {
			missing = append(missing, "smtp-sink")
		}
		if needPostfix {
			t.Postfix, t.Postconf = findTool("postfix"), findTool("postconf")
			if t.Postfix == "" || t.Postconf == "" {
				missing = append(missing, "postfix")
			}
		}
		return t, missing
	}
	t, missing := find()
	if len(missing) == 0 {
		return t, nil
	}
	if os.Geteuid() != 0 || findTool("apt-get") == "" {
		return nil, fmt.Errorf("bench: missing %s: install Postfix (Debian/Ubuntu: "+
			"sudo apt-get install postfix, choosing \"No configuration\"), or run as root to let bench install it",
			strings.Join(missing, ", "))
	}
	note("installing postfix (missing %s; debconf: No configuration)", strings.Join(missing, ", "))
	sel := exec.CommandContext(ctx, "debconf-set-selections")
	sel.Stdin = strings.NewReader("postfix postfix/main_mailer_type select No configuration\n")
	if out, err := sel.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bench: debconf-set-selections: %v: %s", err, out)
	}
	install := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "postfix")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("bench: apt-get install postfix: %v: %s", err, lastLines(out, 5))
		}
		return nil
	}
	if err := install(); err != nil {
		// A fresh container often has no package lists yet.
		up := exec.CommandContext(ctx, "apt-get", "update")
		if out, uerr := up.CombinedOutput(); uerr != nil {
			return nil, fmt.Errorf("%w; apt-get update: %v: %s", err, uerr, lastLines(out, 5))
		}
		if err := install(); err != nil {
			return nil, err
		}
	}
	if t, missing = find(); len(missing) > 0 {
		return nil, fmt.Errorf("bench: still missing after install: %s", strings.Join(missing, ", "))
	}
	return t, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// moduleRoot finds the directory holding hubedge's go.mod, starting from the
// working directory, so "go run ./bench" works from anywhere in the tree.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/hubedge/hubedge\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: run from inside the hubedge repository (go.mod not found)")
		}
		dir = parent
	}
}

// buildGateway compiles ./examples/gateway into dir, so that compile time is
// never counted as relay CPU.
func buildGateway(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "gateway")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./examples/gateway")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build ./examples/gateway (or set GATEWAY_BIN / RELAY_CMD): %v\n%s", err, b)
	}
	return out, nil
}

// portFree refuses to run on a port somebody else is listening on: the
// benchmark would measure the wrong server.
func portFree(port int) error {
	ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("bench: port %d is in use (not ours; refusing to continue): %w", port, err)
	}
	return ln.Close()
}

// waitBanner waits until something on 127.0.0.1:port greets with 220.
func waitBanner(ctx context.Context, port int, timeout time.Duration) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			if rerr == nil && strings.HasPrefix(line, "220") {
				_, _ = c.Write([]byte("QUIT\r\n"))
				_ = c.Close()
				return nil
			}
			_ = c.Close()
			err = fmt.Errorf("greeting %q: %v", strings.TrimSpace(line), rerr)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("no 220 greeting within %v (last: %v)", timeout, last)
}

// fsType names the filesystem holding dir; queues on tmpfs make fsync free,
// which would flatter a relay, so the header reports it.
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	switch st.Type {
	case 0x01021994:
		return "tmpfs"
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794c7630:
		return "overlayfs"
	}
	return fmt.Sprintf("0x%x", st.Type)
}
