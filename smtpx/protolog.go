package smtpx

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/smtpx/deliver"
)

// WithProtocolLog sets the SMTP protocol logs: receive (a protolog.Receive
// log) records the sessions of receive connectors whose
// ProtocolLoggingLevel is Verbose, send (a protolog.Send log) those of
// such send connectors (it is passed on as deliver.WithProtocolLog, so it
// does not apply with WithDeliverer). Either may be nil. Commands and
// replies are logged before and after STARTTLS, AUTH responses redacted,
// bodies left out. The caller closes the logs after Shutdown; see
// protolog.OpenSet for the reference system's directory layout. Default:
// no protocol log.
func WithProtocolLog(receive, send *protolog.Log) Option {
	return funcOption(func(o *options) {
		o.protoLog = receive
		if send != nil {
			o.deliver = append(o.deliver, deliver.WithProtocolLog(send))
		}
	})
}

// How a receive session is logged. go-smtp tees the plaintext of a
// connection, before and after STARTTLS, into its Server.Debug writer;
// every connection has a go-smtp server of its own (replies.go), whose
// Debug writer passes everything on to a logged connection's rxLog. Debug
// sees both directions: the raw connection is wrapped (rxTap, under conn)
// so that each server write raises a flag just before go-smtp's copy of it reaches Debug; a Debug write with the
// flag set and the shape of a reply is the server's, anything else the
// client's (TLS handshake writes raise the flag without a copy, hence the
// shape test). The banner written in place of go-smtp's greeting (see
// conn) is logged as sent.

// protocolLogTap wraps nc when connector s logs its sessions; lg is nil
// otherwise.
func (t *Transport) protocolLogTap(s *rcServer, nc net.Conn) (net.Conn, *rxLog) {
	if t.opts.protoLog == nil || s.rc.ProtocolLoggingLevel() != connector.ProtocolLoggingVerbose {
		return nc, nil
	}
	lg := &rxLog{ln: newRxListener()}
	return &rxTap{Conn: nc, lg: lg}, lg
}

// serveLogged serves c on srv, its own copy of the connector's go-smtp
// server (see serve), whose Debug writer passes everything on to lg. The
// logged connection keeps a goroutine that waits for the session's end to
// log the disconnection.
func (t *Transport) serveLogged(s *rcServer, srv *smtp.Server, c *conn, lg *rxLog) {
	server, _, _ := strings.Cut(t.opts.serverName, ".")
	lg.s = t.opts.protoLog.Session(server+`\`+s.rc.Name(), c.id, c.LocalAddr().String(), c.RemoteAddr().String())
	lg.s.Connect("")
	if srv.TLSConfig != nil {
		srv.TLSConfig = srv.TLSConfig.Clone()
		verify := srv.TLSConfig.VerifyConnection
		srv.TLSConfig.VerifyConnection = func(st tls.ConnectionState) error {
			lg.s.Info(tls.VersionName(st.Version)+" "+tls.CipherSuiteName(st.CipherSuite), "TLS negotiation succeeded")
			if verify != nil {
				return verify(st)
			}
			return nil
		}
	}
	lg.ln.c <- c
	t.connWG.Go(func() {
		_ = srv.Serve(lg.ln) // until the connection closes
		_ = srv.Shutdown(context.Background())
		who := "Local"
		if lg.remote.Load() {
			who = "Remote"
		}
		lg.s.Disconnect(who)
	})
}

// cloneServer returns a new go-smtp server with src's settings: every
// exported field, so settings added to newRCServer are kept.
func cloneServer(src *smtp.Server) *smtp.Server {
	dst := smtp.NewServer(src.Backend)
	sv, dv := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	for i := range sv.NumField() {
		if sv.Type().Field(i).IsExported() {
			dv.Field(i).Set(sv.Field(i))
		}
	}
	return dst
}

// rxLog is a logged connection's go-smtp Debug writer.
type rxLog struct {
	s      *protolog.Session // set before the connection is served
	ln     *rxListener
	wrote  atomic.Bool // the raw connection was just written to
	remote atomic.Bool // the client closed first

	mu      sync.Mutex
	banner  []byte // the first raw write, logged for go-smtp's greeting
	greeted bool
}

func (r *rxLog) Write(p []byte) (int, error) {
	if !r.wrote.Swap(false) || !looksLikeReply(p) {
		r.s.Client(p)
		return len(p), nil
	}
	n := len(p) // what go-smtp wrote, even when the banner is logged
	r.mu.Lock()
	if !r.greeted {
		r.greeted = true
		if r.banner != nil {
			p = r.banner
		}
	}
	r.mu.Unlock()
	r.s.Server(p)
	return n, nil
}

// looksLikeReply reports whether p starts like a reply line ("250 ",
// "250-").
func looksLikeReply(p []byte) bool {
	return len(p) >= 4 && isDigit(p[0]) && isDigit(p[1]) && isDigit(p[2]) && (p[3] == ' ' || p[3] == '-')
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// rxTap is the raw connection under a logged conn.
type rxTap struct {
	net.Conn
	lg *rxLog
}

func (t *rxTap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if errors.Is(err, io.EOF) {
		t.lg.remote.Store(true)
	}
	return n, err
}

func (t *rxTap) Write(p []byte) (int, error) {
	t.lg.mu.Lock()
	if !t.lg.greeted && t.lg.banner == nil {
		t.lg.banner = append([]byte(nil), p...)
	}
	t.lg.mu.Unlock()
	t.lg.wrote.Store(true)
	return t.Conn.Write(p)
}

func (t *rxTap) Close() error {
	err := t.Conn.Close()
	t.lg.ln.Close()
	return err
}

// rxListener hands one connection to a go-smtp server, then reports
// itself closed once that connection is, so Serve returns.
type rxListener struct {
	c    chan net.Conn
	done chan struct{}
	once sync.Once
}

func newRxListener() *rxListener {
	return &rxListener{c: make(chan net.Conn, 1), done: make(chan struct{})}
}

func (l *rxListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.c:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *rxListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *rxListener) Addr() net.Addr { return chanAddr{} }
