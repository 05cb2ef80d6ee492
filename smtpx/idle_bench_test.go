package smtpx_test

import (
	"bufio"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// BenchmarkIdleConn reports the memory the process holds per idle session
// after EHLO (heap in use plus goroutine stacks; the client side is
// included and the same for every build, so compare builds, not absolute
// figures) and goroutines per session. Each iteration opens idleConns
// sessions; run it with -benchtime=1x.
func BenchmarkIdleConn(b *testing.B) {
	const idleConns = 2000
	rc := smtptest.ReceiveConnector(b, "From Internet", connector.UsageInternet, func(c *connector.ReceiveConfig) {
		c.MaxInboundConnection = idleConns + 10
		c.MaxInboundConnectionPerSource = idleConns + 10
	})
	tr := smtptest.NewTransport(b, transport.WithServerName(serverName), transport.WithAcceptedDomain(contoso...),
		transport.WithReceiveConnector(rc))
	addr := tr.Addr("From Internet").String()
	for b.Loop() {
		mem0, g0 := memNow()
		conns := make([]net.Conn, idleConns)
		for i := range conns {
			conns[i] = idleSession(b, addr)
		}
		mem1, g1 := memNow()
		b.ReportMetric(float64(mem1-mem0)/idleConns, "B/conn")
		b.ReportMetric(float64(g1-g0)/idleConns, "goroutines/conn")
		for _, c := range conns {
			c.Close()
		}
	}
}

func memNow() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// idleSession reads the greeting and exchanges EHLO.
func idleSession(b *testing.B, addr string) net.Conn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReaderSize(c, 16)
	reply := func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if len(line) >= 4 && line[3] == ' ' {
				return
			}
		}
	}
	reply()
	if _, err := c.Write([]byte("EHLO bench.example\r\n")); err != nil {
		b.Fatal(err)
	}
	reply()
	_ = c.SetDeadline(time.Time{})
	return c
}
