package deliver_test

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// floodServer is a hostile next hop: it answers normally until a command
// starting with trigger ("" for the greeting itself), then sends one
// endless reply (flood) until the client goes away.
func floodServer(t *testing.T, trigger, flood string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	endless := func(c net.Conn) {
		chunk := []byte(strings.Repeat(flood, 4096/len(flood)+1))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				if trigger == "" {
					_, _ = c.Write([]byte("220 "))
					endless(c)
					return
				}
				_, _ = c.Write([]byte("220 flood.example ESMTP\r\n"))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToUpper(line), trigger) {
						endless(c)
						return
					}
					_, _ = c.Write([]byte("250 flood.example\r\n"))
				}
			})
		}
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return "[" + host + "]:" + port
}

// A next hop's reply is bounded in lines and bytes, before the handover to
// go-smtp (greeting, EHLO) and after it (an endless MAIL reply): the
// attempt fails with ErrReplyTooLong instead of filling memory.
func TestEndlessReplyBounded(t *testing.T) {
	for _, tc := range []struct{ name, trigger, flood string }{
		{"greeting line never ends", "", "a"},
		{"endless multi-line EHLO reply", "EHLO", "250-x\r\n"},
		{"endless EHLO reply of long lines", "EHLO", "250-" + strings.Repeat("y", 1500) + "\r\n"},
		{"endless multi-line MAIL reply", "MAIL", "250-x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", func(c *connector.SendConfig) {
				c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(floodServer(t, tc.trigger, tc.flood))}
				c.DNSRoutingEnabled = false
			})
			d := mustNew(t, deliver.WithSendConnectors(sc))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			res, err := h.send(queue.Envelope{}, testBody)
			if !errors.Is(err, deliver.ErrReplyTooLong) {
				t.Fatalf("res=%+v err=%v, want ErrReplyTooLong", res, err)
			}
		})
	}
}

// The host with the endless reply fails; the next one is tried.
func TestEndlessReplyFailsOver(t *testing.T) {
	good := smtptest.NewSink(t)
	sc := smtptest.SendConnector(t, "Smart", connector.UsageCustom, "*", func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(floodServer(t, "EHLO", "250-x\r\n")), connector.MustParseSmartHost(good.Addr())}
		c.DNSRoutingEnabled = false
	})
	d := mustNew(t, deliver.WithSendConnectors(sc))
	h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
	res, err := h.send(queue.Envelope{}, testBody)
	if err != nil || len(res) != 1 || res[0].Code != 250 {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if n := len(good.Messages()); n != 1 {
		t.Fatalf("good sink got %d messages", n)
	}
}
