package deliver_test

import (
	"bufio"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// rawServer is a hand-written SMTP server for checking how commands
// arrive: with pipelining it answers nothing until DATA has arrived (a
// lock-step client would stall), without it every command must come
// alone.
type rawServer struct {
	t          *testing.T
	ln         net.Listener
	pipelining bool
	rcptReply  map[string]string

	mu      sync.Mutex
	bodies  []string
	lockErr string // a command arrived together with an earlier one
	wg      sync.WaitGroup
}

func newRawServer(t *testing.T, pipelining bool, rcptReply map[string]string) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{t: t, ln: ln, pipelining: pipelining, rcptReply: rcptReply}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *rawServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			s.session(c)
		}()
	}
}

func (s *rawServer) session(c net.Conn) {
	br := bufio.NewReader(c)
	tp := textproto.NewReader(br)
	say := func(lines ...string) { _, _ = c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")) }
	say("220 raw ESMTP")
	var pending []string // replies held back until DATA
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		if !s.pipelining && br.Buffered() > 0 {
			s.mu.Lock()
			s.lockErr = "command after " + line + " came before its reply"
			s.mu.Unlock()
		}
		reply := "250 2.0.0 ok"
		switch verb {
		case "EHLO":
			ext := "250-raw\r\n250-8BITMIME\r\n250 SIZE 100000"
			if s.pipelining {
				ext = "250-raw\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000"
			}
			say(ext)
			continue
		case "RCPT":
			addr := strings.TrimSuffix(strings.TrimPrefix(line, "RCPT TO:<"), ">")
			if r, ok := s.rcptReply[addr]; ok {
				reply = r
			}
		case "DATA":
			say(append(pending, "354 go ahead")...)
			pending = nil
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.bodies = append(s.bodies, string(body))
			s.mu.Unlock()
			say("250 2.0.0 queued as 1")
			continue
		case "QUIT":
			say("221 bye")
			return
		}
		if s.pipelining && (verb == "MAIL" || verb == "RCPT") {
			pending = append(pending, reply)
			continue
		}
		say(reply)
	}
}

func (s *rawServer) literal() string {
	return "[" + s.ln.Addr().(*net.TCPAddr).IP.String() + "]:" + portOf(s.ln)
}

func portOf(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

func TestPipelinedAndLockStepTransactions(t *testing.T) {
	body := "Subject: dots\r\n\r\n.leading dot\r\nbare LF\n..two\r\n"
	want := "Subject: dots\n\n.leading dot\nbare LF\n..two\n"
	for _, pipelining := range []bool{true, false} {
		name := map[bool]string{true: "pipelining", false: "lock-step"}[pipelining]
		t.Run(name, func(t *testing.T) {
			srv := newRawServer(t, pipelining, map[string]string{"gone@fabrikam.com": "550 5.1.1 no such user"})
			sc := mustSend(t, "Raw", connector.WithAddressSpaceList("*"), connector.WithSmartHostList(srv.literal()))
			d := mustNew(t, deliver.WithSendConnectors(sc),
				deliver.WithTimeouts(deliver.Timeouts{Connect: 5 * time.Second, Command: 5 * time.Second, Data: 5 * time.Second}))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			for range 2 { // the second message reuses the session
				res, err := h.send(queue.Envelope{Recipients: rcpts("a@fabrikam.com", "gone@fabrikam.com", "b@fabrikam.com")}, body)
				if err != nil || len(res) != 3 {
					t.Fatalf("res=%+v err=%v", res, err)
				}
				if res[0].Code != 250 || res[0].Enhanced != "2.0.0" || res[0].Text != "queued as 1" ||
					res[1].Code != 550 || res[1].Enhanced != "5.1.1" || res[1].Text != "no such user" || res[2] != res[0] {
					t.Fatalf("results %+v", res)
				}
			}
			_ = d.Close()
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if srv.lockErr != "" {
				t.Fatal(srv.lockErr)
			}
			if len(srv.bodies) != 2 || srv.bodies[0] != want {
				t.Fatalf("bodies %q", srv.bodies)
			}
		})
	}
}
