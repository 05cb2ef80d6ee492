package e2e

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
)

// dropper is a smart host that accepts the envelope, answers DATA with 354
// and closes the connection after the first body line: a peer dying
// mid-DATA.
type dropper struct {
	ln net.Listener
	wg sync.WaitGroup
}

func newDropper(t *testing.T) *dropper {
	t.Helper()
	ln, err := net.Listen("tcp", loopback)
	if err != nil {
		t.Fatal(err)
	}
	d := &dropper{ln: ln}
	d.wg.Add(1)
	go d.serve()
	t.Cleanup(func() { ln.Close(); d.wg.Wait() })
	return d
}

func (d *dropper) serve() {
	defer d.wg.Done()
	for {
		c, err := d.ln.Accept()
		if err != nil {
			return
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer c.Close()
			br := bufio.NewReader(c)
			_, _ = c.Write([]byte("220 dropper ESMTP\r\n"))
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
				case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
					_, _ = c.Write([]byte("250 dropper\r\n"))
				case cmd == "DATA":
					_, _ = c.Write([]byte("354 go ahead\r\n"))
					_, _ = br.ReadString('\n')
					return // close mid-DATA
				case cmd == "QUIT":
					_, _ = c.Write([]byte("221 bye\r\n"))
					return
				default:
					_, _ = c.Write([]byte("250 ok\r\n"))
				}
			}
		}()
	}
}

// A smart host closing the connection mid-DATA defers the message: it is
// retried, never failed or counted as delivered.
func TestSmartHostClosesMidData(t *testing.T) {
	d := newDropper(t)
	l := newQlog()
	a, _ := relayHub(t, l, []func(*connector.SendConfig){func(c *connector.SendConfig) {
		c.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost("[" + strings.Replace(d.ln.Addr().String(), ":", "]:", 1))}
		c.DNSRoutingEnabled = false
	}})
	send(t, a, "x@fabrikam.com")
	l.wait(t, queue.EventDefer, 2)
	if n := l.count(queue.EventFail) + l.count(queue.EventDeliver); n != 0 {
		t.Errorf("mid-DATA drop ended the message:\n%s", l)
	}
}
