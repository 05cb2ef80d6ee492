package main

import (
	"bufio"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeSMTP is a minimal in-test SMTP server on 127.0.0.1:0 that accepts
// everything and counts messages and recipients.
type fakeSMTP struct {
	ln          net.Listener
	msgs, rcpts atomic.Int64
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *fakeSMTP) addr() string { return f.ln.Addr().String() }

func (f *fakeSMTP) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		go f.session(c)
	}
}

func (f *fakeSMTP) session(c net.Conn) {
	defer c.Close()
	br, bw := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(s string) bool { bw.WriteString(s + "\r\n"); return bw.Flush() == nil }
	if !say("220 fake ESMTP") {
		return
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			say("250-fake\r\n250 PIPELINING")
		case "RCPT":
			f.rcpts.Add(1)
			say("250 ok")
		case "DATA":
			say("354 go on")
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			f.msgs.Add(1)
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}
