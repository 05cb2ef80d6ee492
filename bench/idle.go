package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// idleResult is the memory the relay holds for n idle sessions.
type idleResult struct {
	Conns           int
	BaseKiB, RSSKiB int64 // VmRSS before the connections and with them open
	Elapsed         time.Duration
}

func (r *idleResult) Line(name string) string {
	per := 0.0
	if r.Conns > 0 {
		per = float64(r.RSSKiB-r.BaseKiB) * 1024 / float64(r.Conns)
	}
	return fmt.Sprintf("idle relay=%s conns=%d rss_mib=%.1f base_rss_mib=%.1f bytes_per_conn=%.0f open_secs=%.2f",
		name, r.Conns, float64(r.RSSKiB)/1024, float64(r.BaseKiB)/1024, per, r.Elapsed.Seconds())
}

// parseRSS returns VmRSS from a /proc/<pid>/status file.
func parseRSS(status []byte) (kib int64, ok bool) {
	for _, line := range strings.Split(string(status), "\n") {
		if v, found := strings.CutPrefix(line, "VmRSS:"); found {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// sessionRSS sums VmRSS over the processes of session sid.
func sessionRSS(sid int) int64 {
	var total int64
	for _, pid := range sessionPIDs(sid) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			if kib, ok := parseRSS(b); ok {
				total += kib
			}
		}
	}
	return total
}

// idleRun starts the relay alone, opens IDLE_CONNS sessions that each read
// the greeting and say EHLO, then leaves them idle and reads the relay's
// resident memory.
func (r *runner) idleRun(ctx context.Context) (string, error) {
	c := r.c
	r.seq++
	logf, err := os.Create(filepath.Join(c.LogDir, fmt.Sprintf("idle.%d.log", r.seq)))
	if err != nil {
		return "", err
	}
	defer logf.Close()
	defer r.teardown(kindRelay)
	if c.RelayCmd == "" { // the gateway's safe defaults refuse this many from one address
		// (MaxInboundConnectionPerSource is at most 10 000).
		c.GwArgs += fmt.Sprintf(" -max-inbound %d -max-per-source %d", c.IdleConns+100, min(c.IdleConns, 10000))
	}
	port, sid, err := r.setup(ctx, kindRelay, logf)
	if err != nil {
		return "", err
	}
	settle := func() int64 { // let the runtime return what it freed
		time.Sleep(2 * time.Second)
		return sessionRSS(sid)
	}
	res := &idleResult{Conns: c.IdleConns, BaseKiB: settle()}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conns := make([]net.Conn, c.IdleConns)
	defer func() {
		for _, cn := range conns {
			if cn != nil {
				cn.Close()
			}
		}
	}()
	var tlsCfg *tls.Config
	if c.TLS {
		if tlsCfg, err = clientTLS(r.pki.CA, r.v.Groups, r.v.NoVerify); err != nil {
			return "", err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 1) // the first failure is enough
	sem := make(chan struct{}, 100)
	for i := range conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cn, err := idleSession(ctx, addr, tlsCfg)
			if err != nil {
				select {
				case errs <- fmt.Errorf("bench: idle session %d: %w", i, err):
				default:
				}
				return
			}
			conns[i] = cn
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	select {
	case err := <-errs:
		return "", err
	default:
	}
	res.RSSKiB = settle()
	return res.Line(c.name(kindRelay)), nil
}

// idleSession connects, reads the 220 greeting and exchanges EHLO; with
// tlsCfg it then says STARTTLS, completes the handshake and says EHLO
// again, so the relay holds a TLS session.
func idleSession(ctx context.Context, addr string, tlsCfg *tls.Config) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	cn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = cn.SetDeadline(time.Now().Add(60 * time.Second))
	s := &smtpConn{c: cn, br: bufio.NewReaderSize(cn, 512), bw: bufio.NewWriterSize(cn, 64)}
	err = s.reply('2')
	if err == nil {
		err = s.cmd('2', "EHLO bench.example")
	}
	if err == nil && tlsCfg != nil {
		if err = s.cmd('2', "STARTTLS"); err == nil {
			tc := tls.Client(cn, tlsCfg)
			if err = tc.HandshakeContext(ctx); err == nil {
				s.c = tc
				s.br.Reset(tc)
				s.bw.Reset(tc)
				err = s.cmd('2', "EHLO bench.example")
			}
		}
	}
	if err != nil {
		cn.Close()
		return nil, err
	}
	_ = cn.SetDeadline(time.Time{})
	return s.c, nil
}
