package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       procStat
		ok         bool
	}{
		{"plain", "42 (smtpd) S 1 42 40 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 100 1000 10",
			procStat{Session: 40, Ticks: 13, Own: 10}, true},
		{"spaces and parens in comm", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 1 1 1 20 0 1 0",
			procStat{Session: 7, Ticks: 4, Own: 2}, true},
		{"no paren", "42 smtpd S 1 42 40", procStat{}, false},
		{"short", "42 (x) S 1 42 40 0", procStat{}, false},
		{"bad session", "42 (x) S 1 42 zz 0 -1 0 0 0 0 0 1 1 1 1", procStat{}, false},
		{"bad ticks", "42 (x) S 1 42 40 0 -1 0 0 0 0 0 1 x 1 1", procStat{}, false},
		{"negative ticks", "42 (x) S 1 42 40 0 -1 0 0 0 0 0 1 -5 1 1", procStat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseStat = %+v, %v; want %+v ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (smtpd) S 1 42 40 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0"))
	f.Add([]byte("7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 1 1 1"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, line []byte) {
		st, err := parseStat(line)
		if err != nil {
			if st != (procStat{}) {
				t.Errorf("error with non-zero result %+v", st)
			}
			return
		}
		if st.Ticks < 0 || st.Own > st.Ticks || !strings.Contains(string(line), ")") {
			t.Errorf("accepted %q as %+v", line, st)
		}
	})
}

func TestParseHWM(t *testing.T) {
	tests := []struct {
		name, status string
		want         int64
		ok           bool
	}{
		{"present", "Name:\tgateway\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n", 12345, true},
		{"missing (kernel thread)", "Name:\tkthreadd\nState:\tS\n", 0, false},
		{"bad unit", "VmHWM:\t12 MB\n", 0, false},
		{"bad number", "VmHWM:\tlots kB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseHWM([]byte(tt.status))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseHWM = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseCPU(t *testing.T) {
	c, err := parseCPU([]byte("cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4 5 6 7 8\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := cpuTimes{Busy: 160, IOWait: 20, Steal: 10, Total: 990}
	if c != want {
		t.Errorf("parseCPU = %+v, want %+v", c, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3", "cpu 1 2 3 4 5 6 7 x"} {
		if _, err := parseCPU([]byte(bad)); err == nil {
			t.Errorf("parseCPU(%q) succeeded", bad)
		}
	}
}

// The live /proc readers agree with what this process knows of itself.
func TestProcSelf(t *testing.T) {
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	pids := sessionPIDs(st.Session)
	found := false
	for _, p := range pids {
		found = found || p == os.Getpid()
	}
	if !found {
		t.Errorf("sessionPIDs(%d) = %v, lacks self %d", st.Session, pids, os.Getpid())
	}
	if kib, n := sessionHWM(st.Session); kib <= 0 || n < 1 {
		t.Errorf("sessionHWM = %d KiB over %d processes", kib, n)
	}
	if sessionTicks(st.Session) < pidTicks(os.Getpid()) {
		t.Error("session CPU below this process's own")
	}
	if c := readCPU(); c.Total <= 0 || c.Busy > c.Total {
		t.Errorf("readCPU = %+v", c)
	}
	if pidTicks(-1) != 0 {
		t.Error("pidTicks of a missing process is not 0")
	}
}

func TestParseRSS(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tgateway\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n", 1024, true},
		{"Name:\tgateway\n", 0, false},
		{"VmRSS:\tlots kB\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRSS([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRSS(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
