package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// goSource is the bench's own load generator with smtp-source's knobs and
// manners: sessions in parallel take messages from one shared count, each
// command waits for its reply (no pipelining), the session opens with HELO,
// each message has Date and Message-Id fields, and without reuse every
// message has a connection of its own, ended with QUIT. With tls it says
// EHLO, STARTTLS and EHLO again, as a sending MTA does; it keeps no TLS
// session cache, so each connection is a full handshake. Given several
// targets (a pool of hubs behind one name), session i connects to target
// i modulo their number, so the sessions spread evenly over them.
type goSource struct {
	addr     string   // the first target
	more     []string // further targets, if any
	sessions int
	msgs     int64
	rcpts    int
	reuse    bool
	tls      *tls.Config // nil: plaintext
	helo     string
	from, to string
	body     []byte
	pid      int // with the sequence number, a Message-ID unique per run

	next atomic.Int64 // messages taken so far

	mu     sync.Mutex
	groups map[tls.CurveID]int // handshakes by the key exchange agreed
}

// take claims the next message, numbered from 1; false when all are taken.
func (g *goSource) take() (int64, bool) {
	n := g.next.Add(1)
	return n, n <= g.msgs
}

// run sends every message and returns the first error of any session.
func (g *goSource) run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, g.sessions)
	for i := range g.sessions {
		wg.Go(func() { errs[i] = g.session(ctx, g.target(i)) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// target is the address session i connects to.
func (g *goSource) target(i int) string {
	if n := i % (1 + len(g.more)); n > 0 {
		return g.more[n-1]
	}
	return g.addr
}

// session sends messages to addr until none are left.
func (g *goSource) session(ctx context.Context, addr string) error {
	var s *smtpConn
	defer func() {
		if s != nil {
			// After a failure the server may never answer: do not hang on it.
			_ = s.c.SetDeadline(time.Now().Add(5 * time.Second))
			_ = s.cmd('2', "QUIT")
			s.c.Close()
		}
	}()
	for {
		seq, ok := g.take()
		if !ok {
			return nil
		}
		if s == nil {
			var err error
			if s, err = g.open(ctx, addr); err != nil {
				return err
			}
		}
		if err := g.send(s, seq); err != nil {
			return err
		}
		if !g.reuse {
			err := s.cmd('2', "QUIT")
			s.c.Close()
			s = nil
			if err != nil {
				return err
			}
		}
	}
}

// open connects to addr and gets the session ready for MAIL.
func (g *goSource) open(ctx context.Context, addr string) (*smtpConn, error) {
	d := net.Dialer{KeepAlive: -1}
	c, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return nil, err
	}
	s := &smtpConn{c: c, br: bufio.NewReaderSize(c, 4096), bw: bufio.NewWriterSize(c, 16<<10)}
	err = s.reply('2')
	if err == nil && g.tls == nil {
		err = s.cmd('2', "HELO %s", g.helo) // as smtp-source does
	}
	if err == nil && g.tls != nil {
		err = s.cmd('2', "EHLO %s", g.helo) // STARTTLS needs ESMTP
	}
	if err == nil && g.tls != nil {
		err = s.startTLS(ctx, g.tls, g.helo)
	}
	if tc, ok := s.c.(*tls.Conn); ok && err == nil {
		g.mu.Lock()
		if g.groups == nil {
			g.groups = map[tls.CurveID]int{}
		}
		g.groups[tc.ConnectionState().CurveID]++
		g.mu.Unlock()
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: source: session setup: %w", err)
	}
	return s, nil
}

// startTLS upgrades an ESMTP session: STARTTLS, the handshake with cfg,
// and EHLO again, since the session starts over under TLS (RFC 3207).
func (s *smtpConn) startTLS(ctx context.Context, cfg *tls.Config, helo string) error {
	if err := s.cmd('2', "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(s.c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	s.c = tc
	s.br.Reset(tc)
	s.bw.Reset(tc)
	return s.cmd('2', "EHLO %s", helo)
}

// send is one transaction; seq makes its Message-ID unique, as
// smtp-source's are, so a relay's loop detection sees distinct messages.
func (g *goSource) send(s *smtpConn, seq int64) error {
	if err := s.cmd('2', "MAIL FROM:<%s>", g.from); err != nil {
		return err
	}
	for r := range g.rcpts {
		to := g.to
		if g.rcpts > 1 { // numbered when several, as smtp-source does
			to = strconv.Itoa(r+1) + to
		}
		if err := s.cmd('2', "RCPT TO:<%s>", to); err != nil {
			return err
		}
	}
	if err := s.cmd('3', "DATA"); err != nil {
		return err
	}
	fmt.Fprintf(s.bw, "Date: %s\r\nMessage-Id: <%d.%d@%s>\r\n", time.Now().Format(time.RFC1123Z), seq, g.pid, g.helo)
	if _, err := s.bw.Write(g.body); err != nil {
		return err
	}
	return s.cmd('2', ".")
}

// The key-exchange groups the Go clients can offer (TLS_GROUPS, groups=).
const (
	// groupsGo is crypto/tls's default: the hybrid post-quantum
	// X25519MLKEM768 first, with an X25519 key share beside it.
	groupsGo = "go"
	// groupsOpenSSL30 is what an OpenSSL 3.0 client (Postfix's smtp on this
	// machine) offers by default, less x448, which Go lacks: one X25519 key
	// share, then P-256, P-521, P-384. A Go server then agrees X25519, as
	// OpenSSL 3.0's smtpd does with either list, since it has no ML-KEM.
	groupsOpenSSL30 = "openssl30"
)

var groupNames = []string{groupsGo, groupsOpenSSL30}

// clientGroups is the CurvePreferences of a groups name (nil: Go's
// defaults).
func clientGroups(name string) []tls.CurveID {
	if name == groupsOpenSSL30 {
		return []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP521, tls.CurveP384}
	}
	return nil
}

// clientTLS is the bench clients' TLS configuration: the server must
// present a certificate for benchServerName from the CA in caFile (unless
// noVerify: encryption without authentication, RFC 7435's opportunistic
// security, which spares the client its chain check), and groups names the
// key exchanges offered (clientGroups). It has no session cache: every
// connection is a new client's full handshake.
func clientTLS(caFile, groups string, noVerify bool) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("bench: client TLS: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("bench: client TLS: no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: benchServerName, CurvePreferences: clientGroups(groups),
		InsecureSkipVerify: noVerify}, nil
}

// goSourceMain is the "_gosource" mode, run as a process of its own like
// smtp-source. Its flags are smtp-source's: -s sessions, -m messages,
// -l payload bytes, -r recipients, -d reuse, -M HELO name, -f sender,
// -t recipient; -tls CAFILE
// adds STARTTLS, verifying the server against that CA (not with
// -noverify), offering the key-exchange groups of -groups (groupsGo or
// groupsOpenSSL30). Several host:port
// arguments spread the sessions over them (see goSource).
func goSourceMain(args []string) int {
	fs := flag.NewFlagSet("_gosource", flag.ContinueOnError)
	g := &goSource{}
	fs.IntVar(&g.sessions, "s", 1, "parallel sessions")
	fs.Int64Var(&g.msgs, "m", 1, "messages")
	size := fs.Int("l", 4096, "payload bytes per message")
	fs.IntVar(&g.rcpts, "r", 1, "recipients per message")
	fs.BoolVar(&g.reuse, "d", false, "keep the connection between messages")
	fs.StringVar(&g.helo, "M", "bench-client.example", "EHLO name")
	fs.StringVar(&g.from, "f", "sender@example.com", "envelope sender")
	fs.StringVar(&g.to, "t", "rcpt@example.net", "envelope recipient (numbered when -r > 1)")
	ca := fs.String("tls", "", "STARTTLS, trusting the CA certificates in this PEM file")
	groups := fs.String("groups", groupsGo, "key-exchange groups offered with -tls: go or openssl30")
	noVerify := fs.Bool("noverify", false, "with -tls, encrypt without checking the server's certificate")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 || g.sessions < 1 || g.rcpts < 1 || !slices.Contains(groupNames, *groups) {
		fmt.Fprintln(os.Stderr, "usage: _gosource [-s N] [-m N] [-l N] [-r N] [-d] [-tls CAFILE [-groups go|openssl30] [-noverify]] host:port...")
		return 2
	}
	g.addr, g.more, g.body, g.pid = fs.Arg(0), fs.Args()[1:], messageBody(*size), os.Getpid()
	if *ca != "" {
		var err error
		if g.tls, err = clientTLS(*ca, *groups, *noVerify); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	err := g.run(context.Background())
	for id, n := range g.groups { // in the run's log: which key exchange the server chose
		fmt.Printf("_gosource: %d handshake(s) agreed %v\n", n, id)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
