package postfixtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// queueDir is a directory postfix-files(5) declares under the queue
// directory.
type queueDir struct {
	name  string // relative to queue_directory, "" for itself
	owner string // "root" or "$mail_owner"
	group string // "-" (keep), or "$setgid_group"
	mode  os.FileMode
}

// parsePostfixFiles returns the directory entries under $queue_directory
// of a postfix-files file ("path:type:owner:group:mode:flags" lines, '#'
// comments).
func parsePostfixFiles(r io.Reader) ([]queueDir, error) {
	const prefix = "$queue_directory"
	var dirs []queueDir
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 5 || f[1] != "d" {
			continue
		}
		rest, ok := strings.CutPrefix(f[0], prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			continue
		}
		name := strings.TrimPrefix(rest, "/")
		if name != filepath.Clean("/" + name)[1:] || strings.Contains(name, "$") {
			return nil, fmt.Errorf("postfixtest: postfix-files line %d: bad path %q", n, f[0])
		}
		mode, err := strconv.ParseUint(f[4], 8, 32)
		if err != nil || mode > 0o7777 {
			return nil, fmt.Errorf("postfixtest: postfix-files line %d: bad mode %q", n, f[4])
		}
		dirs = append(dirs, queueDir{name: name, owner: f[2], group: f[3], mode: os.FileMode(mode)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("postfixtest: reading postfix-files: %w", err)
	}
	return dirs, nil
}

// makeQueueDirs creates the queue directory tree as postfix-files says.
// post-install does the same when `postfix start` finds a directory
// missing, but spends seconds on it; with the tree in place the start
// checks only verify it.
func (l layout) makeQueueDirs(ctx context.Context, id ids) error {
	postconf, err := lookPath("postconf")
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, postconf, "-c", l.etc, "-h", "meta_directory").Output()
	if err != nil {
		return fmt.Errorf("postfixtest: postconf meta_directory: %w", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "postfix-files"))
	if err != nil {
		return fmt.Errorf("postfixtest: %w", err)
	}
	defer f.Close()
	dirs, err := parsePostfixFiles(f)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		uid, gid, err := d.ids(id)
		if err != nil {
			return err
		}
		p := filepath.Join(l.queue, d.name)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("postfixtest: %w", err)
		}
	}
	return nil
}

// ids resolves the owner and group of d; "-" keeps root's group.
func (d queueDir) ids(id ids) (uid, gid int, err error) {
	switch d.owner {
	case "root":
		uid = 0
	case "$mail_owner":
		uid = id.postfixUID
	default:
		return 0, 0, fmt.Errorf("postfixtest: postfix-files: unknown owner %q for %s", d.owner, d.name)
	}
	switch d.group {
	case "-":
		gid = 0
	case "$setgid_group":
		gid = id.postdropGID
	default:
		return 0, 0, fmt.Errorf("postfixtest: postfix-files: unknown group %q for %s", d.group, d.name)
	}
	return uid, gid, nil
}
