package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencyStats summarises "." to 250 latencies of one level.
type latencyStats struct {
	Sessions, N        int
	P50, P90, P99, Max time.Duration
	Elapsed            time.Duration
	Extra              string // kind-specific fields, " k=v ..."
}

// percentile is the nearest-rank percentile p (0 < p <= 1) of sorted d.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func newLatencyStats(sessions int, d []time.Duration, elapsed time.Duration) *latencyStats {
	slices.Sort(d)
	return &latencyStats{Sessions: sessions, N: len(d), Elapsed: elapsed,
		P50: percentile(d, 0.50), P90: percentile(d, 0.90), P99: percentile(d, 0.99), Max: percentile(d, 1)}
}

func (l *latencyStats) Line(name string) string {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rate := 0.0
	if l.Elapsed > 0 {
		rate = float64(l.N) / l.Elapsed.Seconds()
	}
	return fmt.Sprintf("latency relay=%s sessions=%d msgs=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f client_rate=%.0f/s",
		name, l.Sessions, l.N, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), rate) + l.Extra
}

// messageBody is a message with size bytes of payload, dot-safe and
// CRLF-terminated, without the final "." line.
func messageBody(size int) []byte {
	var b strings.Builder
	b.WriteString("From: <sender@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: hubedge bench\r\n\r\n")
	for size > 0 {
		n := min(size, 78)
		b.WriteString(strings.Repeat("x", n))
		b.WriteString("\r\n")
		size -= n
	}
	return []byte(b.String())
}

// smtpConn is a minimal SMTP client: enough to time "." -> 250 exactly.
type smtpConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// reply reads one (possibly multi-line) reply and checks its code class.
func (s *smtpConn) reply(want byte) error {
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || line[0] < '1' || line[0] > '5' {
			return fmt.Errorf("bench: bad reply %q", line)
		}
		if line[3] == '-' {
			continue
		}
		if line[0] != want {
			return fmt.Errorf("bench: server said %q", strings.TrimSpace(line))
		}
		return nil
	}
}

func (s *smtpConn) cmd(want byte, format string, args ...any) error {
	fmt.Fprintf(s.bw, format+"\r\n", args...)
	if err := s.bw.Flush(); err != nil {
		return err
	}
	return s.reply(want)
}

// latencySession sends n messages over one connection and returns the time
// from writing each message's final "." to reading its 250. With tlsCfg it
// says STARTTLS first; the handshake is outside every timed window.
func latencySession(ctx context.Context, addr string, n, rcpts int, body []byte, tlsCfg *tls.Config) ([]time.Duration, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	s := &smtpConn{c: c, br: bufio.NewReader(c), bw: bufio.NewWriterSize(c, 64<<10)}
	if err := s.reply('2'); err != nil {
		return nil, err
	}
	if err := s.cmd('2', "EHLO bench-client.example"); err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		if err := s.startTLS(ctx, tlsCfg, "bench-client.example"); err != nil {
			return nil, fmt.Errorf("bench: latency client STARTTLS: %w", err)
		}
	}
	out := make([]time.Duration, 0, n)
	for range n {
		if err := s.cmd('2', "MAIL FROM:<sender@example.com>"); err != nil {
			return out, err
		}
		for r := range rcpts {
			if err := s.cmd('2', "RCPT TO:<%drcpt@example.net>", r); err != nil {
				return out, err
			}
		}
		if err := s.cmd('3', "DATA"); err != nil {
			return out, err
		}
		// A relay's loop detection must see distinct messages.
		fmt.Fprintf(s.bw, "Message-Id: <%d.%p@bench-client.example>\r\n", len(out), s)
		if _, err := s.bw.Write(body); err != nil {
			return out, err
		}
		if err := s.bw.Flush(); err != nil {
			return out, err
		}
		t := time.Now()
		if err := s.cmd('2', "."); err != nil {
			return out, err
		}
		out = append(out, time.Since(t))
	}
	_ = s.cmd('2', "QUIT")
	return out, nil
}

// latencyLevel spreads total messages over sessions parallel connections,
// each upgraded with STARTTLS when tlsCfg is set.
func latencyLevel(ctx context.Context, addr string, sessions, total, rcpts int, body []byte, tlsCfg *tls.Config) (*latencyStats, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		all  []time.Duration
		errs []error
	)
	start := time.Now()
	for i := range sessions {
		n := total / sessions
		if i < total%sessions {
			n++
		}
		wg.Go(func() {
			d, err := latencySession(ctx, addr, n, rcpts, body, tlsCfg)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, d...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return newLatencyStats(sessions, all, time.Since(start)), nil
}

// latencyRun measures kind at every LAT_SESSIONS level, after an untimed
// warm-up, waiting between levels until the sink has everything. With
// TLS=1 the client says STARTTLS (verifying the bench PKI's certificate)
// and the sink, behind a relay or alone, offers it too; each line then
// carries what the sink received over TLS in that level.
func (r *runner) latencyRun(ctx context.Context, kind string) ([]string, error) {
	c := r.c
	r.seq++
	logf, err := os.Create(filepath.Join(c.LogDir, fmt.Sprintf("latency.%s.%d.log", kind, r.seq)))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	defer r.teardown(kind)
	port, _, err := r.setup(ctx, kind, logf)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	body := messageBody(c.Size)
	var tlsCfg *tls.Config
	if c.TLS {
		if tlsCfg, err = clientTLS(r.pki.CA, r.v.Groups, r.v.NoVerify); err != nil {
			return nil, err
		}
	}
	sent := 0
	level := func(sessions, msgs int) (*latencyStats, error) {
		s := r.curSink
		tls0, res0 := s.TLSCount()
		sess0 := s.Sessions()
		st, err := latencyLevel(ctx, addr, sessions, msgs, c.Rcpts, body, tlsCfg)
		if err != nil {
			return nil, err
		}
		sent += msgs
		if _, err := s.WaitFor(ctx, sent, c.StallTimeout); err != nil {
			return nil, err
		}
		if c.TLS {
			// sink_tls_msgs equal to msgs: every message of the level
			// crossed the last hop encrypted, not just the first.
			tls1, res1 := s.TLSCount()
			st.Extra = fmt.Sprintf(" tls=1 sink_tls_msgs=%d sink_tls_resumed=%d sink_sessions=%d",
				tls1-tls0, res1-res0, s.Sessions()-sess0)
		}
		return st, nil
	}
	if c.Warmup > 0 {
		if _, err := level(slices.Max(c.LatSessions), c.Warmup); err != nil {
			return nil, fmt.Errorf("bench: %s latency warm-up: %w", kind, err)
		}
	}
	var lines []string
	for _, s := range c.LatSessions {
		st, err := level(s, c.LatMsgs)
		if err != nil {
			return lines, fmt.Errorf("bench: %s latency at %d sessions: %w", kind, s, err)
		}
		lines = append(lines, st.Line(c.name(kind)))
	}
	return lines, nil
}
