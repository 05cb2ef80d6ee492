package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1}, 10},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Error("median reordered its input")
	}
}

func sampleRuns() (*config, []*result) {
	c, _ := loadConfig(envOf(map[string]string{"RUNS": "3"}))
	var rs []*result
	for i, rates := range [][3]float64{{5000, 400, 2400}, {5200, 460, 2500}, {4800, 420, 2300}} {
		rs = append(rs,
			&result{Name: "sink", Got: 20000, Secs: 20000 / rates[0], RelayCPU: -1},
			&result{Name: "postfix", Got: 1000, Secs: 1000 / rates[1], RelayCPU: 3.2, RelayHWM: 400 << 10},
			&result{Name: "hubedge", Got: 1000, Secs: 1000 / rates[2], RelayCPU: 0.3, RelayHWM: int64(30+i) << 10, MilterCPU: float64(4 + i)})
	}
	return c, rs
}

func TestSummary(t *testing.T) {
	c, rs := sampleRuns()
	got := summary(c, rs)
	for _, want := range []string{
		"relay=sink msgs=20000 secs=4.00 rate=5000/s median_of=3 ratio_vs_sink=1.000\n",
		"relay=postfix msgs=20000 secs=2.38 rate=420/s median_of=3 ratio_vs_sink=0.084 relay_cpu_us_per_msg=3200 relay_peak_rss_mib=400.0\n",
		"relay=hubedge msgs=20000 secs=0.42 rate=2400/s median_of=3 ratio_vs_sink=0.480 ratio_vs_postfix=5.71 relay_cpu_us_per_msg=300 relay_peak_rss_mib=32.0 milter_cpu_us_per_msg=5000\n",
		"# hubedge / postfix = 5.71 x",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestSummaryWithoutPostfix(t *testing.T) {
	c, rs := sampleRuns()
	c.Relays = []string{kindSink, kindRelay}
	got := summary(c, rs)
	if !strings.Contains(got, "ratio_vs_postfix=n/a") || strings.Contains(got, "relay=postfix") {
		t.Errorf("summary without postfix:\n%s", got)
	}
}

func Example_summary() {
	c, rs := sampleRuns()
	c.Relays = []string{kindSink, kindRelay}
	fmt.Print(summary(c, rs))
	// Output:
	// # medians over 3 run(s), sessions=20 size=4096 reuse=0 rcpts=1 tls=0:
	// relay=sink msgs=20000 secs=4.00 rate=5000/s median_of=3 ratio_vs_sink=1.000
	// relay=hubedge msgs=20000 secs=0.42 rate=2400/s median_of=3 ratio_vs_sink=0.480 ratio_vs_postfix=n/a relay_cpu_us_per_msg=300 relay_peak_rss_mib=32.0 milter_cpu_us_per_msg=5000
}
