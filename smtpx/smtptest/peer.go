package smtptest

import (
	"bufio"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// Peer is a raw SMTP server on 127.0.0.1 for testing how a client's
// transaction goes on the wire, which a Sink (go-smtp's server) hides. It
// offers PIPELINING or not, and CHUNKING (RFC 3030) or not, answers MAIL
// and RCPT from a script, hangs up after any 421, and records commands and
// bodies.
//
// With PIPELINING it holds its MAIL and RCPT replies until DATA arrives,
// as a server may (RFC 2920 §3.1), so a client that waits for each reply
// stalls; without it, a command that arrives before the reply to the one
// before it is recorded as out of step.
type Peer struct {
	ln         net.Listener
	pipelining bool
	chunking   bool
	ehloReply  string // "" for the peer's own
	mailReply  string
	rcptReply  map[string]string

	mu        sync.Mutex
	conns     map[net.Conn]bool
	accepted  int
	commands  []string
	bodies    []string
	outOfStep []string
	wg        sync.WaitGroup
}

// PeerOption configures a Peer.
type PeerOption func(*Peer)

// PeerPipelining makes the peer offer PIPELINING.
func PeerPipelining() PeerOption { return func(p *Peer) { p.pipelining = true } }

// PeerChunking makes the peer offer CHUNKING and take BDAT.
func PeerChunking() PeerOption { return func(p *Peer) { p.chunking = true } }

// PeerEHLO replaces the reply to EHLO, lines separated by CR LF, e.g. to
// send more than one reply ("250 peer\r\n250 surprise").
func PeerEHLO(reply string) PeerOption { return func(p *Peer) { p.ehloReply = reply } }

// PeerMail scripts the reply to every MAIL, e.g. "451 4.3.0 try later".
func PeerMail(reply string) PeerOption { return func(p *Peer) { p.mailReply = reply } }

// PeerRcpt scripts the reply to RCPT TO:<rcpt>, e.g. "550 5.1.1 no such
// user"; other recipients get 250.
func PeerRcpt(rcpt, reply string) PeerOption {
	return func(p *Peer) { p.rcptReply[strings.ToLower(rcpt)] = reply }
}

// NewPeer starts a Peer; t's cleanup closes it and its sessions.
func NewPeer(t TB, opts ...PeerOption) *Peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: peer: %v", err)
	}
	p := &Peer{ln: ln, mailReply: "250 2.1.0 ok", rcptReply: map[string]string{}, conns: map[net.Conn]bool{}}
	for _, o := range opts {
		o(p)
	}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Addr is the peer's "127.0.0.1:port".
func (p *Peer) Addr() string { return p.ln.Addr().String() }

// SmartHost is the peer as a send connector's smart host, "[127.0.0.1]:port".
func (p *Peer) SmartHost() string {
	host, port, _ := net.SplitHostPort(p.Addr())
	return "[" + host + "]:" + port
}

// Connections is the number of sessions accepted so far.
func (p *Peer) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Commands returns every command line received, in order, over all
// sessions.
func (p *Peer) Commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.commands...)
}

// Bodies returns the messages received, as DATA carried them with the
// dot-stuffing undone, or as BDAT did, with line ends as "\n".
func (p *Peer) Bodies() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...)
}

// OutOfStep returns the commands of a peer without PIPELINING that
// arrived before the reply to the command before them.
func (p *Peer) OutOfStep() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.outOfStep...)
}

func (p *Peer) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Peer) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.session(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// peerSession is one session's transaction state.
type peerSession struct {
	c              net.Conn
	pending        []string // replies held until DATA
	mailOK, rcptOK bool
	chunks         []byte // the BDAT chunks of the message so far
	chunkFailed    bool   // a BDAT chunk of this transaction was refused
}

// say writes the held replies and then lines; false after a 421, when the
// session ends.
func (s *peerSession) say(lines ...string) bool {
	all := append(s.pending, lines...)
	s.pending = nil
	_, _ = s.c.Write([]byte(strings.Join(all, "\r\n") + "\r\n"))
	for _, l := range all {
		if strings.HasPrefix(l, "421") {
			return false
		}
	}
	return true
}

func (p *Peer) session(c net.Conn) {
	br := bufio.NewReader(c)
	tp := textproto.NewReader(br)
	s := &peerSession{c: c}
	s.say("220 peer ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.commands = append(p.commands, line)
		if !p.pipelining && br.Buffered() > 0 {
			p.outOfStep = append(p.outOfStep, line)
		}
		p.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		reply, hold := "250 2.0.0 ok", false
		switch strings.ToUpper(verb) {
		case "EHLO":
			reply = "250-peer\r\n250-8BITMIME\r\n250-DSN\r\n250 SIZE 100000"
			if p.pipelining {
				reply = "250-peer\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-DSN\r\n250 SIZE 100000"
			}
			if p.chunking {
				reply = strings.Replace(reply, "250-8BITMIME", "250-CHUNKING\r\n250-8BITMIME", 1)
			}
			if p.ehloReply != "" {
				reply = p.ehloReply
			}
		case "MAIL":
			reply, hold = p.mailReply, p.pipelining
			s.mailOK, s.rcptOK = strings.HasPrefix(reply, "2"), false
			s.chunks, s.chunkFailed = nil, false
		case "RCPT":
			reply, hold = "250 2.1.5 ok", p.pipelining
			if r, ok := p.rcptReply[strings.ToLower(rcptAddr(arg))]; ok {
				reply = r
			}
			s.rcptOK = s.rcptOK || s.mailOK && strings.HasPrefix(reply, "2")
		case "DATA":
			if !s.mailOK || !s.rcptOK {
				reply = "554 5.5.1 No valid recipients"
				break
			}
			if !s.say("354 go ahead") {
				return
			}
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.bodies = append(p.bodies, string(body))
			reply = "250 2.0.0 queued as " + strconv.Itoa(len(p.bodies))
			p.mu.Unlock()
			s.mailOK, s.rcptOK = false, false
		case "BDAT":
			if !p.chunking {
				reply = "502 5.5.1 command not implemented"
				break
			}
			reply = p.bdat(s, br, arg)
			if reply == "" {
				return
			}
		case "RSET":
			s.mailOK, s.rcptOK, s.chunks, s.chunkFailed = false, false, nil, false
		case "NOOP":
		case "QUIT":
			s.say("221 2.0.0 bye")
			return
		default:
			reply = "502 5.5.1 command not implemented"
		}
		if hold && !strings.HasPrefix(reply, "421") {
			s.pending = append(s.pending, reply)
			continue
		}
		if !s.say(reply) {
			return
		}
	}
}

// bdat reads a BDAT chunk ("n" or "n LAST") and returns its reply, ""
// when the session must end. Like a server with PIPELINING it reads a
// chunk it refuses, so the commands behind it stay in step (RFC 3030 §4.2).
func (p *Peer) bdat(s *peerSession, br *bufio.Reader, arg string) string {
	n, last, ok := wire.ParseBDAT([]byte(arg))
	if !ok {
		return "" // without its size the chunk cannot be skipped
	}
	chunk := make([]byte, n)
	if _, err := io.ReadFull(br, chunk); err != nil {
		return ""
	}
	switch {
	case !s.mailOK || !s.rcptOK || s.chunkFailed:
		s.chunkFailed = true
		return "554 5.5.1 No valid recipients"
	case !last:
		s.chunks = append(s.chunks, chunk...)
		return "250 2.0.0 " + strconv.FormatInt(n, 10) + " octets received"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bodies = append(p.bodies, strings.ReplaceAll(string(s.chunks)+string(chunk), "\r\n", "\n"))
	s.mailOK, s.rcptOK, s.chunks = false, false, nil
	return "250 2.0.0 queued as " + strconv.Itoa(len(p.bodies))
}

// rcptAddr is the address of RCPT's "TO:<a@b> params".
func rcptAddr(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}
