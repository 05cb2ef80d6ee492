package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// VARIANTS with cmd= alternate relay commands within each round: every
// round runs each variant's own command, and a scrape= variant fetches the
// relay's management listener during the timed window.
func TestVariantsAlternateRelayCommands(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	relay := "env BENCH_FAKE_RELAY=proxy BENCH_FAKE_MANAGE=%d " + exe + " -test.run=^$ -variant=%s"
	c, err := loadConfig(envOf(map[string]string{
		"WORKDIR": work, "TOOLS": "go", "RELAYS": "relay", "MSGS": "20", "WARMUP": "5", "SESSIONS": "2", "SIZE": "100",
		"SINK_PORT": fmt.Sprint(freePort(t)), "LISTEN_PORT": fmt.Sprint(freePort(t)), "NEXTHOP_PORT": fmt.Sprint(freePort(t)),
		"MANAGE_PORT": fmt.Sprint(freePort(t)), "MILTER_PORT": fmt.Sprint(freePort(t)),
		"RELAY_CMD_a": fmt.Sprintf(relay, 0, "a"), "RELAY_CMD_b": fmt.Sprintf(relay, 1, "b"),
		"VARIANTS": "cmd=a cmd=b,scrape=/metrics",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &runner{c: c, t: &tools{Self: exe}}
	defer r.cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var names []string
	for range 2 {
		for _, v := range c.Variants {
			if err := r.use(v); err != nil {
				t.Fatal(err)
			}
			res, err := r.oneRun(ctx, kindRelay)
			if err != nil {
				t.Fatal(err)
			}
			if res.Got != 20 || res.Stalled {
				t.Errorf("%s: %d of 20 messages through the relay (stalled %v)", res.Name, res.Got, res.Stalled)
			}
			scraped := strings.Contains(res.Extra, "scrapes=")
			if want := v.Scrape != ""; scraped != want {
				t.Errorf("%s: scrape fields %q, want them: %v", res.Name, res.Extra, want)
			}
			if scraped && (strings.Contains(res.Extra, "scrapes=0 ") || !strings.Contains(res.Extra, "scrape_errs=0 ")) {
				t.Errorf("%s: scrapes %q, want at least one and no errors", res.Name, res.Extra)
			}
			log, err := os.ReadFile(filepath.Join(c.LogDir, fmt.Sprintf("relay.%d.log", r.seq)))
			if err != nil {
				t.Fatal(err)
			}
			label := strings.TrimPrefix(strings.Split(v.Label, ",")[0], "cmd=")
			if !strings.Contains(string(log), "-variant="+label) {
				t.Errorf("%s: run log lacks the variant's command:\n%s", res.Name, log)
			}
			names = append(names, res.Name)
		}
	}
	want := "hubedge[cmd=a] hubedge[cmd=b,scrape=/metrics] hubedge[cmd=a] hubedge[cmd=b,scrape=/metrics]"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("runs %s, want %s", got, want)
	}
}
