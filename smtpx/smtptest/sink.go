package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"
)

// Message is one message the sink accepted, with the facts of the
// session that delivered it.
type Message struct {
	ConnID           int      // 1 for the sink's first connection, and so on
	Helo             string   // the EHLO/HELO/LHLO argument
	From             string   // MAIL FROM address, "" for the null sender
	To               []string // accepted RCPT TO addresses, in order
	MailOptions      smtp.MailOptions
	Header           textproto.Header // parsed from Body
	Body             []byte           // the full raw message, header included
	TLS              bool             // delivered after STARTTLS
	TLSServerName    string           // SNI the client sent
	PeerCertificates []*x509.Certificate
	AuthUser         string // "" when the client did not authenticate
	AuthMechanism    string // "PLAIN" or "LOGIN"
}

// Sink is an SMTP (or LMTP) server on 127.0.0.1 built on go-smtp that
// accepts and records everything it is sent: messages with their TLS
// and AUTH facts, and the raw lines of every connection. Replies can be
// scripted per recipient (Script) and per message (ScriptData).
//
// A Sink is safe for concurrent use.
type Sink struct {
	t         TB
	opts      sinkOptions
	tlsConfig *tls.Config
	pki       *PKI
	addr      string // fixed at the first listen, reused by Start

	mu       sync.Mutex
	ln       net.Listener // nil while stopped
	closed   bool
	ctx      context.Context // cancelled by Stop
	cancel   context.CancelFunc
	live     map[net.Conn]struct{}
	wg       sync.WaitGroup
	conns    int
	messages []Message
	changed  chan struct{} // closed and replaced when a message arrives
	lines    []transcriptLine
	rcpt     map[string][]*smtp.SMTPError
	data     []*smtp.SMTPError
}

// NewSink starts a sink on an ephemeral loopback port and registers
// Close with t.Cleanup. By default it greets as "localhost", offers
// STARTTLS with a certificate from its own PKI (see PKI), requires
// neither TLS nor AUTH, and accepts every recipient and message.
func NewSink(t TB, opts ...SinkOption) *Sink {
	t.Helper()
	s := &Sink{t: t, opts: defaultSinkOptions(), live: map[net.Conn]struct{}{},
		changed: make(chan struct{}), rcpt: map[string][]*smtp.SMTPError{}}
	for _, o := range opts {
		o.applySink(&s.opts)
	}
	s.configureTLS()
	ln, err := newLocalListener()
	if err != nil {
		t.Fatalf("smtptest: sink: %v", err)
	}
	s.addr = ln.Addr().String()
	t.Cleanup(s.Close)
	s.serve(ln)
	return s
}

// newLocalListener listens on 127.0.0.1:0, falling back to [::1]:0 on
// IPv6-only hosts, as net/http/httptest does.
func newLocalListener() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if ln6, err6 := net.Listen("tcp6", "[::1]:0"); err6 == nil {
			return ln6, nil
		}
		return nil, err
	}
	return ln, nil
}

func (s *Sink) configureTLS() {
	s.t.Helper()
	o := &s.opts
	switch {
	case o.noSTARTTLS:
		if o.requireTLS {
			s.t.Fatalf("smtptest: sink: RequireTLS and NoSTARTTLS conflict")
		}
		return
	case o.cert != nil:
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{*o.cert}, ClientAuth: tls.RequestClientCert}
		return
	case o.pki != nil:
		s.pki = o.pki
	default:
		s.pki = NewPKI(s.t)
	}
	names := o.pkiNames
	if len(names) == 0 {
		names = []string{o.hostname, "localhost", "127.0.0.1"}
	}
	s.tlsConfig = s.pki.ServerTLSConfig(names...)
}

// serve starts accepting on ln. The caller must not hold s.mu.
func (s *Sink) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
}

func (s *Sink) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Stop
		}
		s.mu.Lock()
		if s.ln != ln { // Stop ran between Accept and here
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns++
		id := s.conns
		s.live[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c, id)
	}
}

func (s *Sink) handle(c net.Conn, id int) {
	defer s.wg.Done()
	defer s.forget(c)
	switch {
	case s.opts.refuseCode != 0:
		line := fmt.Sprintf("%d %s\r\n", s.opts.refuseCode, s.opts.refuseText)
		s.addLine(id, true, line)
		io.WriteString(c, line)
		c.Close()
	case s.opts.hangGreeting:
		io.Copy(io.Discard, c) // until the client gives up or Stop closes c
		c.Close()
	default:
		s.serveSMTP(c, id)
	}
}

// serveSMTP runs one go-smtp Server for the connection, so its Debug
// writer records this connection alone (see transcript.go).
func (s *Sink) serveSMTP(c net.Conn, id int) {
	rec := &connRecorder{sink: s, id: id}
	srv := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		return &session{sink: s, conn: conn, rec: rec}, nil
	}))
	srv.Domain = s.opts.hostname
	srv.TLSConfig = s.tlsConfig
	srv.LMTP = s.opts.lmtp
	srv.MaxMessageBytes = s.opts.maxSize
	srv.AllowInsecureAuth = s.opts.allowInsecureAuth
	srv.EnableSMTPUTF8 = !s.opts.noSMTPUTF8
	srv.Debug = rec
	srv.ErrorLog = tbLogger{s.t}

	rc := &recordingConn{Conn: c, rec: rec}
	l := newOneConnListener(rc)
	rc.onClose = func() { l.Close() }
	srv.Serve(l) // returns once the connection is closed
	// Shutdown waits for go-smtp's connection goroutine to finish.
	srv.Shutdown(context.Background())
	rec.flush()
}

func (s *Sink) forget(c net.Conn) {
	s.mu.Lock()
	delete(s.live, c)
	s.mu.Unlock()
}

func (s *Sink) hookContext() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// Addr returns the sink's address, "127.0.0.1:port". It does not change
// across Stop and Start.
func (s *Sink) Addr() string { return s.addr }

// PKI returns the PKI that issued the STARTTLS certificate (the one
// given with WithPKI, or the sink's own), or nil with WithTLS or
// NoSTARTTLS. Clients trust the sink with PKI().ClientTLSConfig(name).
func (s *Sink) PKI() *PKI { return s.pki }

// Stop closes the listener and every open connection, and waits for
// their goroutines, leaving recorded messages and scripts in place. A
// stopped sink refuses connections, like a host that is down.
func (s *Sink) Stop() {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	if ln != nil {
		ln.Close()
		s.cancel()
		for c := range s.live {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Start listens again on the same address after Stop. It calls t.Fatalf
// if the sink is closed or the port has been taken meanwhile; it does
// nothing if the sink is running.
func (s *Sink) Start() {
	s.t.Helper()
	s.mu.Lock()
	running, closed := s.ln != nil, s.closed
	s.mu.Unlock()
	switch {
	case closed:
		s.t.Fatalf("smtptest: sink: Start after Close")
		return
	case running:
		return
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("smtptest: sink: restart on %s: %v", s.addr, err)
		return
	}
	s.serve(ln)
}

// Close stops the sink for good. It is registered with t.Cleanup and
// may be called more than once.
func (s *Sink) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Stop()
}

// Connections returns how many connections the sink has accepted,
// including refused and hung ones.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}
