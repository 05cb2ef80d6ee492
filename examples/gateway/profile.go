package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on the -pprof address
	"os"
	"runtime/pprof"

	"github.com/hubedge/hubedge/internal/cli"
)

// profile starts the benchmark's profiling aids: a CPU profile written to
// file until the returned stop runs, and net/http/pprof on a loopback
// address. Both are off by default.
func profile(file, addr string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, f := range stops {
			f()
		}
	}
	if addr != "" {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return nil, cli.Usagef("-pprof %q: must be a loopback host:port", addr)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("gateway: -pprof: %w", err)
		}
		srv := &http.Server{Handler: http.DefaultServeMux}
		go srv.Serve(ln) //nolint:errcheck // ends with Close
		stops = append(stops, func() { srv.Close() })
	}
	if file != "" {
		f, err := os.Create(file)
		if err != nil {
			stop()
			return nil, fmt.Errorf("gateway: -cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			stop()
			return nil, fmt.Errorf("gateway: -cpuprofile: %w", err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	return stop, nil
}
