package deliver

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/protolog"
)

// WithProtocolLog logs the sessions of send connectors whose
// ProtocolLoggingLevel is Verbose to l, which should be a
// protolog.Send log (the caller owns it and closes it after the
// Deliverer). Every command and reply is logged, before and after
// STARTTLS, with AUTH responses redacted and message bodies left out.
// Default: no protocol log.
func WithProtocolLog(l *protolog.Log) Option {
	return funcOption(func(o *options) { o.protoLog = l })
}

// protocolLogName is the connector id a session of sc is logged under, or
// "" when sc is not logged.
func (d *Deliverer) protocolLogName(sc *connector.SendConnector) string {
	if d.opts.protoLog == nil || sc.ProtocolLoggingLevel() != connector.ProtocolLoggingVerbose {
		return ""
	}
	return sc.Name()
}

// logSession is one logged connection, shared by the wrappers of the raw
// and the TLS connection.
type logSession struct {
	s      *protolog.Session
	remote atomic.Bool // the server closed first
	once   sync.Once
}

// logConn tees the plaintext of a session into the protocol log: what is
// read is the server's, what is written the client's (ours). It wraps
// the raw connection before STARTTLS and the *tls.Conn after it, never
// the raw connection under TLS.
type logConn struct {
	net.Conn
	ls *logSession
}

// logDialed wraps a freshly dialled connection when connectorID is set.
func (d *Deliverer) logDialed(connectorID string, raw net.Conn) net.Conn {
	if connectorID == "" {
		return raw
	}
	s := d.opts.protoLog.Session(connectorID, protolog.NewSessionID(), raw.LocalAddr().String(), raw.RemoteAddr().String())
	s.Connect("")
	return &logConn{Conn: raw, ls: &logSession{s: s}}
}

// unlogged returns the connection under a logConn, for the TLS handshake.
func unlogged(c net.Conn) net.Conn {
	if lc, ok := c.(*logConn); ok {
		return lc.Conn
	}
	return c
}

// logTLS wraps tc like raw was wrapped, noting the negotiated TLS.
func logTLS(raw net.Conn, tc *tls.Conn) net.Conn {
	lc, ok := raw.(*logConn)
	if !ok {
		return tc
	}
	st := tc.ConnectionState()
	lc.ls.s.Info(tls.VersionName(st.Version)+" "+tls.CipherSuiteName(st.CipherSuite), "TLS negotiation succeeded")
	return &logConn{Conn: tc, ls: lc.ls}
}

func (c *logConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.ls.s.Server(p[:n])
	}
	if errors.Is(err, io.EOF) {
		c.ls.remote.Store(true)
	}
	return n, err
}

func (c *logConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.ls.s.Client(p[:n])
	}
	return n, err
}

func (c *logConn) Close() error {
	err := c.Conn.Close()
	c.ls.once.Do(func() {
		who := "Local"
		if c.ls.remote.Load() {
			who = "Remote"
		}
		c.ls.s.Disconnect(who)
	})
	return err
}
