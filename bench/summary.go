package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// median of xs; NaN when xs is empty. Even counts average the middle two.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratio formats a/b, or n/a when either is missing.
func ratio(a, b float64, prec int) string {
	if math.IsNaN(a) || math.IsNaN(b) || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, a/b)
}

// kindSummary is the median of one kind's runs.
type kindSummary struct {
	Name               string
	Runs, Msgs         int
	Rate, Secs, CPUPer float64 // medians; CPUPer in µs per message, NaN if n/a
	MilterPer          float64 // median µs per message of the filter beside the relay, NaN without one
	PeakMiB            float64 // largest relay peak RSS of the runs, NaN if n/a
	Stalled            int
}

func summarizeKind(name string, msgs int, rs []*result) kindSummary {
	k := kindSummary{Name: name, Msgs: msgs, CPUPer: math.NaN(), MilterPer: math.NaN(), PeakMiB: math.NaN()}
	var rates, secs, cpu, milter []float64
	for _, r := range rs {
		if r.Name != name {
			continue
		}
		k.Runs++
		rates = append(rates, r.Rate())
		secs = append(secs, r.Secs)
		if r.RelayCPU >= 0 && r.Got > 0 {
			cpu = append(cpu, r.RelayCPU*1e6/float64(r.Got))
			if mib := float64(r.RelayHWM) / 1024; math.IsNaN(k.PeakMiB) || mib > k.PeakMiB {
				k.PeakMiB = mib
			}
		}
		if r.MilterCPU > 0 && r.Got > 0 {
			milter = append(milter, r.MilterCPU*1e6/float64(r.Got))
		}
		if r.Stalled {
			k.Stalled++
		}
	}
	k.Rate, k.Secs = median(rates), median(secs)
	if len(cpu) > 0 {
		k.CPUPer = median(cpu)
	}
	if len(milter) > 0 {
		k.MilterPer = median(milter)
	}
	return k
}

// summary prints the medians of a compare run: one line per kind and
// variant, with the ratio to the sink ceiling of the same run and variant,
// and the relay's ratio to Postfix.
func summary(c *config, rs []*result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# medians over %d run(s), sessions=%d size=%d reuse=%s rcpts=%d tls=%s%s:\n",
		c.Runs, c.Sessions, c.Size, boolBit(c.Reuse), c.Rcpts, boolBit(c.TLS), c.placement())
	variants := c.Variants
	if len(variants) == 0 {
		variants = []variant{{}}
	}
	for _, v := range variants {
		byKind := map[string]kindSummary{}
		for _, kind := range c.Relays {
			byKind[kind] = summarizeKind(c.vname(kind, v), c.msgs(kind), rs)
		}
		sinkRate, pfRate := math.NaN(), math.NaN()
		if k, ok := byKind[kindSink]; ok {
			sinkRate = k.Rate
		}
		if k, ok := byKind[kindPostfix]; ok {
			pfRate = k.Rate
		}
		for _, kind := range c.Relays {
			k := byKind[kind]
			if k.Runs == 0 {
				continue
			}
			fmt.Fprintf(&b, "relay=%s msgs=%d secs=%.2f rate=%.0f/s median_of=%d ratio_vs_sink=%s",
				k.Name, k.Msgs, k.Secs, k.Rate, k.Runs, ratio(k.Rate, sinkRate, 3))
			if kind == kindRelay {
				fmt.Fprintf(&b, " ratio_vs_postfix=%s", ratio(k.Rate, pfRate, 2))
			}
			if !math.IsNaN(k.CPUPer) {
				fmt.Fprintf(&b, " relay_cpu_us_per_msg=%.0f relay_peak_rss_mib=%.1f", k.CPUPer, k.PeakMiB)
			}
			if !math.IsNaN(k.MilterPer) {
				fmt.Fprintf(&b, " milter_cpu_us_per_msg=%.0f", k.MilterPer)
			}
			if k.Stalled > 0 {
				fmt.Fprintf(&b, " stalled_runs=%d", k.Stalled)
			}
			b.WriteByte('\n')
		}
		if r, ok := byKind[kindRelay]; ok && r.Runs > 0 && !math.IsNaN(pfRate) {
			fmt.Fprintf(&b, "# %s / postfix = %s x (same run; median rates %.0f/s vs %.0f/s)\n",
				r.Name, ratio(r.Rate, pfRate, 2), r.Rate, pfRate)
		}
	}
	return b.String()
}
