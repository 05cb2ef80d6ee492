package postfixtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// pollInterval is how often the Wait methods look at the log and the
// Maildirs.
const pollInterval = 25 * time.Millisecond

// Log returns the instance's maillog so far ("" before anything was
// logged).
func (in *Instance) Log() string {
	b, err := os.ReadFile(in.dir.maillog)
	if err != nil {
		return ""
	}
	return string(b)
}

// WaitLog waits until a maillog line matches re and returns the first
// such line. The error says what the log held when ctx ended.
func (in *Instance) WaitLog(ctx context.Context, re *regexp.Regexp) (string, error) {
	var line string
	err := poll(ctx, func() bool {
		for l := range strings.Lines(in.Log()) {
			if re.MatchString(l) {
				line = strings.TrimRight(l, "\n")
				return true
			}
		}
		return false
	})
	if err != nil {
		return "", fmt.Errorf("postfixtest: no log line matching %q: %w\n--- maillog ---\n%s", re, err, in.Log())
	}
	return line, nil
}

// commandRE matches smtpd's verbose log of a command received from a
// client: "smtpd[pid]: < unknown[127.0.0.1]: EHLO client".
var commandRE = regexp.MustCompile(`smtpd\[\d+\]: < [^:]*\[[0-9a-fA-F.:]+\](?::\d+)?: (.*)$`)

// Commands returns, in order, every command line smtpd received from
// loopback clients so far, across connections, as logged (AUTH lines
// carry the client's initial response; data lines are not included).
func (in *Instance) Commands() []string {
	var cmds []string
	for l := range strings.Lines(in.Log()) {
		if m := commandRE.FindStringSubmatch(strings.TrimRight(l, "\n")); m != nil {
			cmds = append(cmds, m[1])
		}
	}
	return cmds
}

// Disconnects returns smtpd's per-session summaries so far, such as
// "ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
// one per finished client session, in order.
func (in *Instance) Disconnects() []string {
	var out []string
	for l := range strings.Lines(in.Log()) {
		if _, rest, ok := strings.Cut(l, "disconnect from "); ok {
			if _, counts, ok := strings.Cut(strings.TrimRight(rest, "\n"), "] "); ok {
				out = append(out, counts)
			}
		}
	}
	return out
}

// WaitDisconnects waits until at least n client sessions have ended and
// returns their summaries (see Disconnects).
func (in *Instance) WaitDisconnects(ctx context.Context, n int) ([]string, error) {
	var got []string
	err := poll(ctx, func() bool {
		got = in.Disconnects()
		return len(got) >= n
	})
	if err != nil {
		return got, fmt.Errorf("postfixtest: %d of %d sessions ended: %w\n--- maillog ---\n%s", len(got), n, err, in.Log())
	}
	return got, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// poll calls done every pollInterval until it returns true or ctx ends.
func poll(ctx context.Context, done func() bool) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
