package smtpx_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

func TestConnectionLimits(t *testing.T) {
	tests := []struct {
		name string
		opt  func(*connector.ReceiveConfig)
		want string
	}{
		{"per source", func(c *connector.ReceiveConfig) { c.MaxInboundConnectionPerSource = 1 },
			"421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel"},
		{"total", func(c *connector.ReceiveConfig) { c.MaxInboundConnection = 1 },
			"421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t, tc.opt)))
			addr := e.firstAddr(t)
			first, greeting := smtptest.Dial(t, addr)
			if !strings.HasPrefix(greeting, "220 ") {
				t.Fatal(greeting)
			}
			if _, got := smtptest.Dial(t, addr); got != tc.want {
				t.Fatalf("second connection: %q, want %q", got, tc.want)
			}
			first.Cmd("QUIT")
			// The slot is released when the server has closed the first
			// connection; poll until a new one is admitted.
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, got := smtptest.Dial(t, addr); strings.HasPrefix(got, "220 ") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("slot never released")
				}
			}
		})
	}
}

func TestInactivityTimeout(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.ConnectionInactivityTimeout = time.Second
		c.ConnectionTimeout = time.Minute
	})
	e := start(t, transport.WithReceiveConnector(rc))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	begin := time.Now()
	if got := r.ReadReply(); !strings.HasPrefix(got, "421 4.4.2") {
		t.Fatalf("idle connection: %q", got)
	}
	if took := time.Since(begin); took < time.Second/2 {
		t.Fatalf("closed after %v", took)
	}
}

func TestConnectionTimeoutIsAbsolute(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) {
		c.ConnectionInactivityTimeout = time.Second
		c.ConnectionTimeout = 2 * time.Second
	})
	e := start(t, transport.WithReceiveConnector(rc))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	begin := time.Now()
	pace := time.NewTicker(200 * time.Millisecond) // a client that stays active
	defer pace.Stop()
	for {
		got := r.Cmd("NOOP")
		if !strings.HasPrefix(got, "250") {
			if !strings.HasPrefix(got, "421 4.4.2") && got != "EOF" {
				t.Fatalf("got %q", got)
			}
			break
		}
		if time.Since(begin) > 10*time.Second {
			t.Fatal("session outlived ConnectionTimeout")
		}
		<-pace.C
	}
	if took := time.Since(begin); took < 1500*time.Millisecond {
		t.Fatalf("closed after %v, before ConnectionTimeout", took)
	}
}

func TestShutdownDrainsSessions(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	addr := e.firstAddr(t)

	busy, _ := smtptest.Dial(t, addr)
	busy.Cmd("EHLO client.example")
	busy.Cmd("MAIL FROM:<a@fabrikam.com>")
	busy.Cmd("RCPT TO:<bob@contoso.com>")
	if got := busy.Cmd("DATA"); !strings.HasPrefix(got, "354") {
		t.Fatal(got)
	}
	idle, _ := smtptest.Dial(t, addr)
	idle.Cmd("EHLO idle.example")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.tr.Shutdown(ctx)
	}()
	if idle.Wait(quietWait) == smtptest.StateData {
		t.Fatal("idle session not closed by Shutdown")
	}
	busy.WriteBody(message("Subject: last one"))
	if got := busy.ReadReply(); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatalf("message in flight during Shutdown: %q", got)
	}
	if busy.Wait(quietWait) == smtptest.StateData {
		t.Fatal("session not closed after its last message")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting after Shutdown")
	}
	if err := e.tr.Shutdown(context.Background()); !errors.Is(err, smtpx.ErrServerClosed) {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	busy, _ := smtptest.Dial(t, e.firstAddr(t))
	busy.Cmd("EHLO client.example")
	busy.Cmd("MAIL FROM:<a@fabrikam.com>")
	busy.Cmd("RCPT TO:<bob@contoso.com>")
	busy.Cmd("DATA")
	busy.Write([]byte("Subject: never finished\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.tr.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if busy.Wait(quietWait) == smtptest.StateData {
		t.Fatal("session survived Shutdown's deadline")
	}
	if q := e.tr.Queue(); len(q.Messages(queueFilter())) != 0 {
		t.Fatal("a cut message was queued")
	}
}

func TestStartFailsOnBusyBinding(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rcCfg := connector.NewReceiveConfig("Busy", connector.UsageInternet)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(ln.Addr().String())}
	rc, err := rcCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(transport.WithServerName(serverName), transport.WithMemoryQueue(), transport.WithReceiveConnector(rc))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); err == nil {
		t.Fatal("Start succeeded on a busy port")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); !errors.Is(err, smtpx.ErrServerClosed) {
		t.Fatalf("Start after Close = %v", err)
	}
}

func TestNewTransportRefusesBadConfiguration(t *testing.T) {
	needsTLS := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.RequireTLS = true })
	if _, err := transport.New(transport.WithServerName(serverName), transport.WithMemoryQueue(), transport.WithReceiveConnector(needsTLS)); err == nil {
		t.Error("RequireTLS without a certificate accepted")
	}
	a, b := smtptest.InternetConnector(t), smtptest.InternetConnector(t)
	if _, err := transport.New(transport.WithServerName(serverName), transport.WithMemoryQueue(), transport.WithReceiveConnector(a, b)); err == nil {
		t.Error("duplicate receive connectors accepted")
	}
}
