package crashtest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/jackc/pgx/v5"
)

var poolRounds = flag.Int("pool.rounds", 1, "rounds of BenchmarkPool; each round measures every store and size once, so rounds interleave")

// benchClients is the number of SMTP sessions of BenchmarkPool, spread
// evenly over the hubs.
const benchClients = 16

// BenchmarkPool relays 4 KiB and 64 KiB messages end to end, 16 clients
// to one sink, through one gateway on the local queue and through pools
// of one, two and three poolhub processes on one PostgreSQL, all in the
// same run, round after round. msgs/s is b.N over the time from the
// first message sent to the last one at the sink. hub-ms/msg and
// pg-ms/msg are the user+system CPU of the hubs and of every PostgreSQL
// process over that window, per message; commits/msg are PostgreSQL's
// committed transactions (enqueues, in-flight marks, deletions, body
// reads, heartbeats) and wal-syncs/msg its WAL flushes. load1 is the
// one-minute load average at the end: the figures are indicative on a
// shared machine. Run it with a fixed count, so the hubs start once per
// figure:
//
//	go test ./crashtest -run '^$' -bench Pool -benchtime 2000x -pool.rounds 3
func BenchmarkPool(b *testing.B) {
	if poolhubBin == "" {
		b.Skip(skipReason)
	}
	cluster := pgtest.Start(b)
	for round := 1; round <= *poolRounds; round++ {
		for _, size := range []int{4 << 10, 64 << 10} {
			name := fmt.Sprintf("round=%d/size=%dKiB", round, size>>10)
			b.Run(name+"/store=local", func(b *testing.B) { benchRelay(b, nil, 1, size) })
			for hubs := 1; hubs <= 3; hubs++ {
				b.Run(fmt.Sprintf("%s/store=pg/hubs=%d", name, hubs), func(b *testing.B) { benchRelay(b, cluster, hubs, size) })
			}
		}
	}
}

// benchRelay starts the hubs (poolhubs on a new database of cluster, or
// a gateway on a local queue when cluster is nil), warms them up, then
// relays b.N messages and reports the figures.
func benchRelay(b *testing.B, cluster *pgtest.Cluster, hubs, size int) {
	sink := smtptest.NewSink(b, smtptest.NoSTARTTLS())
	var dsn string
	relays := make([]*relay, hubs)
	for i := range relays {
		listen := freePort(b)
		if cluster == nil {
			relays[i] = &relay{bin: gatewayBin, listen: listen, args: []string{"-mode", "anonymous-relay", "-listen", listen,
				"-smarthost", sink.Addr(), "-remote", "127.0.0.0/8", "-queue", b.TempDir(), "-per-hop", strconv.Itoa(perHop), "-log", "warn"}}
		} else {
			if dsn == "" {
				dsn = cluster.NewDB(b)
			}
			relays[i] = &relay{bin: poolhubBin, listen: listen, args: []string{"-hub", fmt.Sprintf("hub%d", i+1), "-dsn", dsn,
				"-listen", listen, "-smarthost", sink.Addr(), "-per-hop", strconv.Itoa(perHop)}}
		}
		killAtEnd(b, relays[i])
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		err := relays[i].start(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	body := benchBody(size)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Warm-up: connections open, schema and caches in place.
	if err := relayLoad(ctx, relays, sink, body, 2*benchClients); err != nil {
		b.Fatal(err)
	}

	hubCPU0, pgCPU0 := hubsCPU(b, relays), pgCPU(b, cluster)
	commits0, syncs0 := pgCounters(b, cluster, dsn)
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	if err := relayLoad(ctx, relays, sink, body, b.N); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	hubCPU := hubsCPU(b, relays) - hubCPU0
	// Stopped hubs finish their deletions, and their sessions report
	// their counts to PostgreSQL's statistics as they end.
	for _, r := range relays {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		err := r.stop(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(hubCPU.Seconds()*1000/n, "hub-ms/msg")
	if cluster != nil {
		b.ReportMetric((pgCPU(b, cluster)-pgCPU0).Seconds()*1000/n, "pg-ms/msg")
		commits, syncs := pgCounters(b, cluster, dsn)
		b.ReportMetric(float64(commits-commits0)/n, "commits/msg")
		b.ReportMetric(float64(syncs-syncs0)/n, "wal-syncs/msg")
	}
	b.ReportMetric(loadAverage(b), "load1")
}

func benchBody(size int) []byte {
	line := []byte("the quick brown fox jumps over the lazy dog, again and again and\r\n")
	return bytes.Repeat(line, size/len(line)+1)[:size]
}

// relayLoad sends n messages over benchClients sessions spread over the
// relays and returns once the sink holds all of them.
func relayLoad(ctx context.Context, relays []*relay, sink *smtptest.Sink, body []byte, n int) error {
	want := len(sink.Messages()) + n
	var next atomic.Int64
	errs := make(chan error, benchClients)
	var wg sync.WaitGroup
	for c := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sendMany(relays[c%len(relays)].listen, body, &next, int64(n)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	_, err := sink.WaitMessages(ctx, want)
	return err
}

// sendMany sends messages over one session while the shared count stays
// within n.
func sendMany(addr string, body []byte, next *atomic.Int64, n int64) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("bench.contoso.com"); err != nil {
		return err
	}
	for i := next.Add(1); i <= n; i = next.Add(1) {
		if err := c.Mail(sender, nil); err != nil {
			return err
		}
		if err := c.Rcpt(recipient, nil); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "From: <%s>\r\nTo: <%s>\r\nSubject: pool bench\r\nMessage-ID: <b%d.%d@%s>\r\n\r\n",
			sender, recipient, time.Now().UnixNano(), i, idDomain)
		if _, err := w.Write(body); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return c.Quit()
}

// procCPU is the user+system time of process pid and of its waited-for
// children, from /proc/PID/stat (in clock ticks of 1/100 s, Linux's
// USER_HZ), and its parent's pid.
func procCPU(pid int) (cpu time.Duration, ppid int, err error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: fields start after it.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0, 0, fmt.Errorf("crashtest: /proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(rest) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("crashtest: /proc/%d/stat: %q", pid, b)
	}
	ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, s := range f[11:15] { // utime, stime, cutime, cstime
		v, _ := strconv.ParseInt(s, 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, ppid, nil
}

func hubsCPU(b *testing.B, relays []*relay) time.Duration {
	var sum time.Duration
	for _, r := range relays {
		cpu, _, err := procCPU(r.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		sum += cpu
	}
	return sum
}

// pgCPU is the CPU of the postmaster and its children (sessions, WAL
// writer, checkpointer...); zero without a cluster.
func pgCPU(b *testing.B, cluster *pgtest.Cluster) time.Duration {
	if cluster == nil {
		return 0
	}
	pm, err := cluster.ServerPID()
	if err != nil {
		b.Fatal(err)
	}
	sum, _, err := procCPU(pm)
	if err != nil {
		b.Fatal(err)
	}
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if cpu, ppid, err := procCPU(pid); err == nil && ppid == pm {
			sum += cpu
		}
	}
	return sum
}

// pgCounters returns the committed transactions of dsn's database and
// the server's WAL syncs. A running session reports its counts to the
// statistics late, one that ends at once: BenchmarkPool reads the
// second counts after stopping the hubs.
func pgCounters(b *testing.B, cluster *pgtest.Cluster, dsn string) (commits, syncs int64) {
	if cluster == nil {
		return 0, 0
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
		(SELECT wal_sync FROM pg_stat_wal)`).Scan(&commits, &syncs)
	if err != nil {
		b.Fatal(err)
	}
	return commits, syncs
}

func loadAverage(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw))
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		b.Fatal(err)
	}
	return v
}
