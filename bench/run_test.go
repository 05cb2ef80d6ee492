package main

import (
	"strings"
	"testing"
)

func TestSourceArgs(t *testing.T) {
	c, _ := loadConfig(envOf(map[string]string{"SESSIONS": "5", "SIZE": "100", "RCPTS": "2"}))
	got := strings.Join(sourceArgs(c, 7, 2526), " ")
	want := "-s 5 -m 7 -l 100 -r 2 -f sender@example.com -t rcpt@example.net -M bench-client.example 127.0.0.1:2526"
	if got != want {
		t.Errorf("sourceArgs = %q\nwant %q", got, want)
	}
	c.Reuse = true
	if got := sourceArgs(c, 7, 2526); got[len(got)-2] != "-d" {
		t.Errorf("REUSE=1 lacks -d: %v", got)
	}
}

func TestResultLine(t *testing.T) {
	c, _ := loadConfig(envOf(nil))
	tests := []struct {
		name   string
		r      result
		prefix string
		has    []string
	}{
		{"sink", result{Name: "sink", Sent: 100, Got: 100, Secs: 0.5, InjectSecs: 0.5, RelayCPU: -1},
			"relay=sink msgs=100 secs=0.50 rate=200/s ", []string{"relay_cpu_s=n/a", "reuse=0"}},
		{"relay", result{Name: "hubedge", Sent: 1000, Got: 1000, Secs: 2, InjectSecs: 1.5, RelayCPU: 0.5,
			RelayHWM: 20480, RelayProcs: 1, Busy: 0.9, SourceCPU: 0.25, MilterCPU: 2},
			"relay=hubedge msgs=1000 secs=2.00 rate=500/s ",
			[]string{"relay_cpu_s=0.50", "relay_cpu_us_per_msg=500", "relay_peak_rss_mib=20.0", "relay_procs=1", "sys_busy=90%", "inject_rate=667/s", "source_cpu_s=0.25", "milter_cpu_s=2.00 milter_cpu_us_per_msg=2000"}},
		{"stalled", result{Name: "postfix", Sent: 10, Got: 4, Secs: 60, InjectSecs: 3, RelayCPU: 1, Stalled: true,
			SourceErr: "exit status 1", Extra: " pf_sent=4/10"},
			"relay=postfix msgs=4 secs=60.00 rate=0/s ", []string{"stalled=1", `src_err="exit status 1"`, " pf_sent=4/10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := tt.r.Line(c)
			if !strings.HasPrefix(line, tt.prefix) {
				t.Errorf("Line = %q, want prefix %q", line, tt.prefix)
			}
			for _, h := range tt.has {
				if !strings.Contains(line, h) {
					t.Errorf("Line = %q lacks %q", line, h)
				}
			}
		})
	}
}
