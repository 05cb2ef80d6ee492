package smtpx

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// serverConn is the SMTP server side of one connection: it reads commands,
// hands them to the session (session.go), and writes the replies. Replies
// gather in bw and go out when the client has nothing more buffered
// (RFC 2920: a pipelining client gets all its replies in one write, and a
// lock-step client one write per reply).
//
// Every error reply passes through refuse, which counts it toward
// MaxProtocolErrors and tarpits an unauthenticated client before the reply
// goes out (TarpitInterval delays the reply itself). Replies after which
// the connection closes anyway (421), replies about this server's own
// trouble (4.3.x, 454 4.7.0) and 452 4.5.3 for recipients over the limit
// are not counted.
type serverConn struct {
	t    *Server
	s    *rcServer
	c    *conn
	nc   net.Conn // c, or the TLS connection over it
	tls  *tls.ConnectionState
	br   *bufio.Reader // reads from in
	in   prefixed
	bw   *bufio.Writer
	lg   *protolog.Session // Verbose protocol log, or nil
	sess *session          // from HELO/EHLO; nil before and after STARTTLS
	// esmtp: the client's last greeting was EHLO (Received says ESMTP).
	esmtp bool
	// next is a command line read while a BDAT transfer waited for its
	// next chunk: the transfer ended there and the line is served next.
	next    []byte
	hasNext bool
	quit    bool // QUIT answered, or a reply that ends the session
	out     []byte
	logLine []byte
	// bdatFailed is the reply to a BDAT transfer that failed before its
	// LAST chunk: the chunks a pipelining client sent behind it get the
	// same reply, uncounted.
	bdatFailed *dsn.Reply
	// ag runs the transport agents (WithAgents); nil when none runs here.
	ag *agent.Conn
	// fromAgent is the last reply an agent gave (agentSaid).
	fromAgent *dsn.Reply
	// verb names the command being answered in the refusal trace; "" for
	// an unknown command or before one is read.
	verb string
	// noService: an agent refused the connection at connect; only QUIT is
	// served (RFC 5321 §3.1).
	noService bool
}

// commandBuffer holds a command line (maxLineLength) and what a
// pipelining client sends behind it; replyBuffer the replies to a
// pipelined group of commands.
const (
	commandBuffer = 4 << 10
	replyBuffer   = 2 << 10
)

// errTransferAborted ends a BDAT transfer that the client left for another
// command (RFC 3030 §2: RSET and the like abort it); no reply follows
// from the transfer.
var errTransferAborted = errors.New("smtpx: BDAT transfer left for another command")

// serve runs one connection to its end on its own goroutine.
func (t *Server) serve(s *rcServer, c *conn) {
	sc := &serverConn{t: t, s: s, c: c, nc: c}
	if t.opts.protoLog != nil && s.rc.ProtocolLoggingLevel() == connector.ProtocolLoggingVerbose {
		server, _, _ := strings.Cut(t.opts.serverName, ".")
		sc.lg = t.opts.protoLog.Session(server+`\`+s.rc.Name(), c.id, c.LocalAddr().String(), c.RemoteAddr().String())
		sc.lg.Connect("")
	}
	sc.in.r = sc.nc
	sc.br = bufio.NewReaderSize(&sc.in, commandBuffer)
	sc.bw = bufio.NewWriterSize(sc.sink(), replyBuffer)
	sc.openAgents()
	t.workers.Go(sc.run)
}

// sink is where replies go: the connection (TLS or not), through the
// protocol log when there is one. The client's side is logged where it is
// consumed (logClient), not as it is read: only the server knows where a
// message starts and ends, and a log that re-parsed the stream could be
// talked into logging a body.
func (sc *serverConn) sink() io.Writer {
	if sc.lg == nil {
		return sc.nc
	}
	return logWriter{sc.nc, sc.lg}
}

// logClient logs a command line the server has taken.
func (sc *serverConn) logClient(line []byte) {
	if sc.lg == nil {
		return
	}
	sc.logLine = append(append(sc.logLine[:0], line...), '\r', '\n')
	sc.lg.Client(sc.logLine)
}

// logBodyEnd tells the protocol log that a DATA message has ended (its
// text is never given to it).
func (sc *serverConn) logBodyEnd() {
	if sc.lg != nil {
		sc.lg.Client([]byte(".\r\n"))
	}
}

// chunkLog is where BDAT chunk octets go once read: the protocol log counts
// them off (it logs none), or nothing.
func (sc *serverConn) chunkLog() io.Writer {
	if sc.lg == nil {
		return io.Discard
	}
	return clientLog{sc.lg}
}

type clientLog struct{ lg *protolog.Session }

func (l clientLog) Write(p []byte) (int, error) {
	l.lg.Client(p)
	return len(p), nil
}

type logWriter struct {
	w  io.Writer
	lg *protolog.Session
}

func (l logWriter) Write(p []byte) (int, error) {
	l.lg.Server(p)
	return l.w.Write(p)
}

func (sc *serverConn) run() {
	remoteClosed := false
	defer func() {
		if p := recover(); p != nil {
			sc.t.log.Error("smtpx: panic serving a connection", "session", sc.c.id, "panic", p, "stack", string(debug.Stack()))
			sc.write(replyInternal)
		}
		_ = sc.bw.Flush()
		if sc.sess != nil {
			sc.sess.logout()
		}
		sc.ag.Disconnect(sc.agentCtx())
		if sc.lg != nil { // before Close lets Shutdown return
			who := "Local"
			if remoteClosed {
				who = "Remote"
			}
			sc.lg.Disconnect(who)
		}
		sc.c.final.Store(true) // crypto/tls bounds its close_notify itself
		sc.nc.Close()          // over TLS, with a close_notify first
		sc.c.Close()
	}()
	if r := sc.ag.Connect(sc.agentCtx()); r != nil {
		sc.writeAgent(r)
		if sc.c.closing() {
			return
		}
		sc.noService = r.Code >= 400
	} else {
		sc.banner()
	}
	for !sc.quit {
		sc.verb = ""
		line, err := sc.readCommand()
		if errors.Is(err, wire.ErrLineTooLong) {
			err = sc.skipLine()
			if err == nil {
				sc.write(replyCommandTooLong)
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				sc.write(replyIdle)
			}
			remoteClosed = errors.Is(err, io.EOF)
			return
		}
		if line != nil {
			sc.handle(line)
		}
		if sc.c.closing() {
			if sc.c.overErrorLimit() {
				// RFC 5321 §3.8: a server that ends the session says so
				// with a 421, so the client logs a refusal, not a
				// network failure.
				sc.write(replyTooManyErrors)
			}
			return
		}
	}
}

// maxSkip bounds what skipLine drops looking for the end of an over-long
// command line; a client still sending beyond it is not resynchronised.
const maxSkip = 64 << 10

// skipLine drops the rest of an over-long command line up to its LF, so
// that the next line is read as a command again. wire.ReadLine has either
// consumed the whole line or filled the buffer without finding its end;
// the last byte it consumed tells which.
func (sc *serverConn) skipLine() error {
	if sc.br.UnreadByte() == nil {
		if c, _ := sc.br.ReadByte(); c == '\n' {
			return nil
		}
	}
	for skipped := 0; skipped < maxSkip; {
		b, err := sc.br.ReadSlice('\n')
		skipped += len(b)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
	sc.write(replyLineTooLong)
	return wire.ErrLineTooLong
}

// banner writes the connector's greeting: its Banner, or the reference
// system's default form without the vendor name.
func (sc *serverConn) banner() {
	if b := sc.s.rc.Banner(); b != "" {
		sc.writeRaw([]byte(b + "\r\n"))
		return
	}
	now := sc.t.opts.clock.Now()
	sc.writeRaw([]byte("220 " + sc.s.fqdn + " ESMTP MAIL Service ready at " + now.Format(time.RFC1123Z) + "\r\n"))
}

// readCommand returns the next command line, first sending the replies
// gathered so far when the client has sent nothing more.
func (sc *serverConn) readCommand() ([]byte, error) {
	if sc.hasNext {
		sc.hasNext = false
		return sc.next, nil
	}
	if sc.br.Buffered() == 0 {
		if err := sc.bw.Flush(); err != nil {
			return nil, err
		}
	}
	line, err := wire.ReadLine(sc.br, maxLineLength)
	if err == nil {
		sc.logClient(line)
	}
	return line, err
}

func (sc *serverConn) write(r *dsn.Reply) {
	if r.Code >= 400 {
		sc.countRefusal(r)
		if sc.ag != nil {
			sc.rejected(r)
		}
	}
	sc.out = appendReply(sc.out[:0], r)
	sc.writeRaw(sc.out)
	if cap(sc.out) > replyBuffer {
		sc.out = nil
	}
}

// appendReply appends r as it goes on the wire.
func appendReply(b []byte, r *dsn.Reply) []byte {
	return wire.AppendReply(b, *r)
}

func (sc *serverConn) writeRaw(p []byte) {
	_, _ = sc.bw.Write(p) // a failed write shows at the next read
}

// replyOf is the reply for a parser error.
func replyOf(err error) *dsn.Reply {
	var wr *dsn.Reply
	if errors.As(err, &wr) {
		return wr
	}
	return Status(err)
}

// traceTLS reports a STARTTLS handshake: its version and cipher, or why
// it failed.
func (sc *serverConn) traceTLS(negotiated string, err error) {
	e := Event{Kind: EventTLS, Connector: sc.s.rc.Name(), Session: sc.c.id, Remote: sc.c.remote, Detail: negotiated, Err: err}
	if sc.sess != nil {
		e.Principal = sc.sess.id.Principal
	}
	sc.t.emit(e)
}

// countRefusal is the one place that decides whether an error reply
// counts toward MaxProtocolErrors (and, for a failed logon,
// MaxLogonFailures): by the reply itself (refusal), except for an
// agent's verdict and a failed BDAT's reply repeated for the chunks
// pipelined behind it.
func (sc *serverConn) countRefusal(r *dsn.Reply) {
	if r == sc.fromAgent || r == sc.bdatFailed || !refusal(r) {
		return
	}
	sc.count(sc.verb, r, sc.verb == "AUTH" && r.Code == 535)
}

// refusal reports whether an error reply is one the client earns: every
// 4xx and 5xx but 421 (the session ends), "452 4.5.3" (too many
// recipients: the client goes on in another transaction) and the replies
// about this server's own trouble: 4.3.x (its system), x.4.2 (the
// connection) and "454 4.7.0" (its authenticator).
func refusal(r *dsn.Reply) bool {
	ec := r.Status
	switch {
	case r.Code < 400, r.Code == 421,
		r.Code == 452 && ec == dsn.Status{Class: 4, Subject: 5, Detail: 3},
		ec.Class == 4 && ec.Subject == 3,
		ec.Subject == 4 && ec.Detail == 2,
		r.Code == 454 && ec == dsn.Status{Class: 4, Subject: 7, Detail: 0}:
		return false
	}
	return true
}

// count counts a refusal (logon: a failed logon too), tarpits an
// unauthenticated client and traces it; the reply that reaches a limit is
// the session's last.
func (sc *serverConn) count(verb string, r *dsn.Reply, logon bool) {
	over := sc.c.countError(logon)
	e := Event{Kind: EventRefuse, Reply: r, Detail: verb, Connector: sc.s.rc.Name(), Session: sc.c.id, Remote: sc.c.remote}
	authed := false
	if sc.sess != nil {
		e.Principal = sc.sess.id.Principal
		authed = sc.sess.authenticated()
	}
	sc.t.emit(e)
	if !authed {
		sc.t.tarpit(sc.c, sc.s.rc.TarpitInterval())
	}
	if over {
		sc.t.log.Info("smtpx: too many errors, disconnecting", "session", sc.c.id, "connector", sc.s.rc.Name())
	}
}

// answer writes a session's reply: ok, or the error's.
func (sc *serverConn) answer(err error, ok *dsn.Reply) {
	if err == nil {
		sc.write(ok)
		return
	}
	sc.write(Status(err))
}

var (
	replyOK            = reply(250, 2, 0, 0, "OK")
	replyIdle          = reply(421, 4, 4, 2, "Connection timed out, closing transmission channel")
	replyInternal      = reply(421, 4, 3, 0, "Internal server error, closing transmission channel")
	replySenderOK      = reply(250, 2, 1, 0, "Sender OK")
	replyRecipientOK   = reply(250, 2, 1, 5, "Recipient OK")
	replyReset         = reply(250, 2, 0, 0, "Resetting")
	replyStartData     = &dsn.Reply{Code: 354, Text: "Start mail input; end with <CRLF>.<CRLF>"}
	replyVrfy          = reply(252, 2, 1, 5, "Cannot VRFY user, but will take message for this user")
	replyHelp          = reply(214, 2, 0, 0, "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH")
	replyStartTLS      = reply(220, 2, 0, 0, "SMTP server ready")
	replyAuthOK        = reply(235, 2, 7, 0, "Authentication successful")
	replyUnknown       = reply(500, 5, 5, 1, "Unrecognized command")
	replyNotImpl       = reply(502, 5, 5, 1, "Command not implemented")
	replyNeedHelo      = reply(503, 5, 5, 1, "Send HELO or EHLO first")
	replyNestedMail    = reply(503, 5, 5, 1, "Sender already specified")
	replyNeedMail      = reply(503, 5, 5, 1, "Need MAIL command")
	replyNeedRcpt      = reply(503, 5, 5, 1, "Need RCPT command")
	replyNeedDomain    = reply(501, 5, 5, 4, "Domain or address literal required")
	replyNoArgs        = reply(501, 5, 5, 4, "No parameters allowed")
	replyBadBDAT       = reply(501, 5, 5, 4, "Syntax: BDAT <size> [LAST]")
	replyTooManyRcpts  = reply(452, 4, 5, 3, "Too many recipients")
	replyTooManyErrors = reply(421, 4, 7, 0, "Too many errors on this connection, closing transmission channel")
	// RFC 5321 §4.5.3.1.4 gives the text; X.5.2 is a syntax error.
	replyCommandTooLong = reply(500, 5, 5, 2, "Line too long")
	replyNoTLS          = reply(502, 5, 5, 1, "STARTTLS not offered")
	replyTLSActive      = reply(503, 5, 5, 1, "TLS already active")
	replyAuthInTx       = reply(503, 5, 5, 1, "AUTH not permitted during a mail transaction")
	replyAuthSyntax     = reply(501, 5, 5, 4, "Syntax: AUTH mechanism [initial-response]")
	replyAuthCancelled  = reply(501, 5, 0, 0, "Authentication cancelled")
	replyNoService      = reply(503, 5, 5, 1, "No service on this connection")
)

// handle serves one command line.
func (sc *serverConn) handle(line []byte) {
	verb, arg := wire.ParseCommand(line)
	if verb != wire.Unknown {
		sc.verb = verb.String()
	}
	if verb != wire.BDAT {
		sc.bdatFailed = nil
	}
	if sc.noService && verb != wire.QUIT {
		sc.verb = ""
		sc.write(replyNoService)
		return
	}
	switch verb {
	case wire.HELO, wire.EHLO:
		sc.greet(verb == wire.EHLO, arg)
	case wire.MAIL:
		sc.mail(arg)
	case wire.RCPT:
		sc.rcpt(arg)
	case wire.DATA:
		sc.data(arg)
	case wire.BDAT:
		sc.bdat(arg)
	case wire.RSET:
		if sc.sess != nil {
			sc.sess.reset()
		}
		sc.ag.Rset(sc.agentCtx())
		sc.write(replyReset)
	case wire.NOOP:
		if r := sc.ag.Noop(sc.agentCtx()); r != nil {
			sc.writeAgent(r)
			return
		}
		sc.write(replyOK)
	case wire.QUIT:
		sc.write(reply(221, 2, 0, 0, sc.s.fqdn+" Service closing transmission channel"))
		sc.quit = true
	case wire.VRFY:
		sc.write(replyVrfy)
	case wire.HELP:
		sc.write(replyHelp)
	case wire.STARTTLS:
		sc.startTLS(arg)
	case wire.AUTH:
		sc.auth(arg)
	case wire.EXPN:
		sc.write(replyNotImpl)
	default:
		sc.write(replyUnknown)
	}
}

// greet answers HELO/EHLO; a new session starts at the first one (again
// after STARTTLS), a later one resets the transaction.
func (sc *serverConn) greet(ehlo bool, arg []byte) {
	if len(arg) == 0 {
		sc.write(replyNeedDomain)
		return
	}
	helo := string(arg)
	if sc.sess == nil {
		sess, err := newSession(sc, helo)
		if err != nil {
			sc.write(Status(err))
			return
		}
		if sc.greetAgents(ehlo, helo) {
			sess.logout()
			return
		}
		sc.sess = sess
		sess.tellAgentsIdentity()
	} else {
		if r := sc.sess.greet(helo); r != nil {
			sc.write(r)
			return
		}
		sc.ag.Rset(sc.agentCtx())
		if sc.greetAgents(ehlo, helo) {
			return
		}
	}
	sc.esmtp = ehlo
	if !ehlo {
		sc.write(reply(250, 0, 0, 0, sc.s.fqdn+" Hello ["+sc.c.remote.Addr().String()+"]"))
		return
	}
	sc.out = sc.ehloReply(sc.out[:0])
	sc.writeRaw(sc.out)
}

// ehloReply is the reply to EHLO: the server's name, the client's
// address, and what this connection offers (wire.AppendEHLO's order).
func (sc *serverConn) ehloReply(b []byte) []byte {
	o := wire.Offer{Domain: sc.s.fqdn, Remote: sc.c.remote.Addr(),
		Ext: sc.offered(), Pipelining: true, EnhancedStatusCodes: true, Chunking: true,
		StartTLS: sc.s.tls != nil && sc.tls == nil, Auth: sc.sess.authMechanisms(),
		RcptMax: sc.s.rc.MaxRecipientsPerMessage()}
	if !sc.s.bypass { // some principal may exceed the limit: SIZE without one
		o.MaxSize = sc.s.rc.MaxMessageSize()
	}
	return wire.AppendEHLO(b, o)
}

// offered is what MAIL and RCPT parameters may use: what EHLO listed.
func (sc *serverConn) offered() wire.Ext {
	e := wire.ExtSize | wire.Ext8BitMIME | wire.ExtSMTPUTF8 | wire.ExtDSN | wire.ExtAuth
	if sc.tls != nil {
		e |= wire.ExtRequireTLS
	}
	return e
}

func (sc *serverConn) mail(arg []byte) {
	switch {
	case sc.sess == nil:
		sc.write(replyNeedHelo)
		return
	case sc.sess.inTx:
		sc.write(replyNestedMail)
		return
	}
	m, err := wire.ParseMail(arg, sc.offered())
	if err != nil {
		sc.write(replyOf(err))
		return
	}
	err = sc.sess.mail(m)
	if err == nil && sc.ag != nil {
		if r := sc.ag.Mail(sc.agentCtx(), sc.sess.env.From, mailParams(m)); r != nil {
			sc.sess.reset()
			sc.writeAgent(r)
			return
		}
	}
	sc.answer(err, replySenderOK)
}

func (sc *serverConn) rcpt(arg []byte) {
	switch {
	case sc.sess == nil || !sc.sess.inTx:
		sc.write(replyNeedMail)
		return
	case sc.s.rc.MaxRecipientsPerMessage() > 0 && len(sc.sess.env.Recipients) >= sc.s.rc.MaxRecipientsPerMessage():
		// Not a protocol error and not tarpitted: the client sends the
		// rest in another transaction (RFC 5321 §4.5.3.1.10), and this
		// one, with the recipients already accepted, goes on.
		sc.sess.trace(Event{Kind: EventRefuse, Reply: replyTooManyRcpts, Detail: "RCPT"})
		sc.write(replyTooManyRcpts)
		return
	}
	r, err := wire.ParseRcpt(arg, sc.offered())
	if err != nil {
		sc.write(replyOf(err))
		return
	}
	err = sc.sess.rcpt(r)
	if err == nil && sc.ag != nil {
		rs := sc.sess.env.Recipients
		if ar := sc.ag.Rcpt(sc.agentCtx(), rs[len(rs)-1].Address, rcptParams(r)); ar != nil {
			sc.sess.env.Recipients = rs[:len(rs)-1]
			sc.writeAgent(ar)
			return
		}
	}
	sc.answer(err, replyRecipientOK)
}

// ready reports whether DATA or BDAT may start, answering when not.
func (sc *serverConn) ready(verb string) bool {
	switch {
	case sc.sess == nil || !sc.sess.inTx:
		sc.write(replyNeedMail)
	case len(sc.sess.env.Recipients) == 0:
		sc.write(replyNeedRcpt)
	default:
		return true
	}
	return false
}

func (sc *serverConn) data(arg []byte) {
	if len(arg) > 0 {
		sc.write(replyNoArgs)
		return
	}
	if !sc.ready("DATA") {
		return
	}
	if r := sc.ag.Data(sc.agentCtx()); r != nil {
		sc.writeAgent(r)
		return
	}
	sc.write(replyStartData)
	if err := sc.bw.Flush(); err != nil {
		sc.c.closeAfterReply()
		return
	}
	big := sc.swapReader(sc.br, messageReaders.Get().(*bufio.Reader))
	dr := wire.NewDotReader(big, maxLineLength)
	err := sc.sess.data(dr)
	// The session may have stopped early (a limit, a header it refused):
	// the rest of the message is read and dropped, so that it is not taken
	// for commands. A broken stream ends the session after the reply.
	if _, derr := io.Copy(io.Discard, dr); derr != nil {
		sc.c.closeAfterReply()
	} else {
		sc.logBodyEnd()
	}
	sc.swapReader(big, sc.br)
	big.Reset(nil)
	messageReaders.Put(big)
	sc.finish(err)
}

// messageBuffer is the read buffer of a DATA transfer: a connection keeps
// only commandBuffer between messages (an idle one costs little), and a
// message is read in large pieces, with a system call per 64 KiB rather
// than per 4 KiB.
const messageBuffer = 64 << 10

var messageReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, messageBuffer) }}

// swapReader hands what from has buffered on to to, which then reads from
// the connection: the bytes a client pipelined behind a command (or behind
// a message) are kept.
func (sc *serverConn) swapReader(from, to *bufio.Reader) *bufio.Reader {
	if n := from.Buffered(); n > 0 {
		b, _ := from.Peek(n)
		// in.b may still hold bytes from an earlier swap: they come after.
		sc.in.b = append(append(make([]byte, 0, n+len(sc.in.b)), b...), sc.in.b...)
		_, _ = from.Discard(n)
	}
	to.Reset(&sc.in)
	return to
}

// prefixed reads b, then r: the connection behind what a swapped-out
// reader had buffered, or a message behind the header stamped for it.
type prefixed struct {
	b []byte
	r io.Reader
}

func (p *prefixed) Read(q []byte) (int, error) {
	if len(p.b) > 0 {
		n := copy(q, p.b)
		p.b = p.b[n:]
		return n, nil
	}
	return p.r.Read(q)
}

// finish answers the end of a message and closes the transaction; while
// the server drains, the connection goes with it, after the reply.
func (sc *serverConn) finish(err error) {
	if !errors.Is(err, errTransferAborted) {
		sc.write(Status(err))
	}
	_ = sc.bw.Flush()
	sc.sess.reset()
}

// bdat serves BDAT (RFC 3030). The first chunk of a message starts the
// session's Data, which reads chunk after chunk through bdatReader; each
// chunk but the last is acknowledged when the next one is wanted.
func (sc *serverConn) bdat(arg []byte) {
	size, last, ok := wire.ParseBDAT(arg)
	if !ok {
		// Without its size the chunk cannot be skipped, and its octets
		// would be read as commands: the reply is the session's last.
		sc.c.closeAfterReply()
		sc.write(replyBadBDAT)
		return
	}
	if failed := sc.bdatFailed; failed != nil {
		// Pipelined behind a chunk that failed the message: skipped and
		// answered alike, not counted again.
		sc.skipChunk(size)
		sc.write(failed)
		if last {
			sc.bdatFailed = nil
		}
		return
	}
	if sc.sess == nil || !sc.sess.inTx || len(sc.sess.env.Recipients) == 0 {
		sc.skipChunk(size) // not to be read as commands
		sc.ready("BDAT")
		return
	}
	if r := sc.ag.Data(sc.agentCtx()); r != nil {
		sc.skipChunk(size)
		failed := sc.agentSaid(r)
		sc.write(failed)
		if !last {
			sc.bdatFailed = failed
		}
		return
	}
	br := &bdatReader{sc: sc, left: size, last: last}
	err := sc.sess.data(br)
	sc.skipChunk(br.left)
	sc.finish(err)
	if r := Status(err); !br.last && r.Code >= 400 && !errors.Is(err, errTransferAborted) {
		sc.bdatFailed = r
	}
}

// skipChunk reads and drops n octets of a BDAT chunk.
func (sc *serverConn) skipChunk(n int64) {
	if n == 0 {
		return
	}
	if _, err := io.CopyN(sc.chunkLog(), sc.br, n); err != nil {
		sc.c.closeAfterReply()
	}
}

// bdatReader is a message sent in BDAT chunks: it reads each chunk from
// the connection and, when a chunk is used up and more is wanted,
// acknowledges it and reads the next command. A BDAT continues the
// message; anything else ends the transfer (errTransferAborted) and is
// served as a command once the session has given up on the message.
type bdatReader struct {
	sc    *serverConn
	left  int64 // octets of the current chunk not yet read
	total int64
	last  bool
	err   error
}

func (b *bdatReader) Read(p []byte) (int, error) {
	for b.left == 0 && b.err == nil {
		if b.last {
			b.err = io.EOF
			break
		}
		b.nextChunk()
	}
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.sc.br.Read(p)
	if b.sc.lg != nil {
		b.sc.lg.Client(p[:n]) // counted off, not logged
	}
	b.left -= int64(n)
	b.total += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
	}
	return n, nil
}

func (b *bdatReader) nextChunk() {
	sc := b.sc
	sc.write(reply(250, 2, 0, 0, strconv.FormatInt(b.total, 10)+" octets received"))
	line, err := sc.readCommand()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return
	}
	verb, arg := wire.ParseCommand(line)
	if verb != wire.Unknown {
		sc.verb = verb.String()
	}
	if verb != wire.BDAT {
		sc.next = append(sc.next[:0], line...)
		sc.hasNext = true
		b.err = errTransferAborted
		return
	}
	size, last, ok := wire.ParseBDAT(arg)
	if !ok {
		sc.c.closeAfterReply() // as in serverConn.bdat
		sc.write(replyBadBDAT)
		b.err = errTransferAborted
		return
	}
	b.left, b.last = size, last
}

// startTLS upgrades the connection (RFC 3207). Anything the client sent
// behind STARTTLS in plain text is dropped, not read as commands of the
// TLS session (the "STARTTLS command injection" of CVE-2011-0411).
func (sc *serverConn) startTLS(arg []byte) {
	switch {
	case sc.s.tls == nil:
		sc.write(replyNoTLS)
		return
	case sc.tls != nil:
		sc.write(replyTLSActive)
		return
	case len(arg) > 0:
		sc.write(replyNoArgs)
		return
	}
	if r := sc.ag.StartTLS(sc.agentCtx()); r != nil {
		sc.writeAgent(r)
		return
	}
	sc.write(replyStartTLS)
	if sc.bw.Flush() != nil {
		return
	}
	tc := tls.Server(sc.c, sc.s.tls)
	if err := tc.HandshakeContext(sc.t.ctx); err != nil {
		sc.t.log.Info("smtpx: TLS handshake failed", "session", sc.c.id, "err", err)
		sc.traceTLS("", err)
		sc.quit = true
		return
	}
	st := tc.ConnectionState()
	negotiated := tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
	sc.lg.Info(negotiated, "TLS negotiation succeeded")
	sc.traceTLS(negotiated, nil)
	sc.tls, sc.nc = &st, tc
	sc.ag.TLSEstablished()
	if sc.sess != nil {
		sc.sess.logout()
		sc.sess = nil
	}
	sc.esmtp = false
	sc.in = prefixed{r: sc.nc}
	sc.br.Reset(&sc.in)
	sc.bw.Reset(sc.sink())
}

// auth runs a SASL exchange (RFC 4954).
func (sc *serverConn) auth(arg []byte) {
	switch {
	case sc.sess == nil:
		sc.write(replyNeedHelo)
		return
	case sc.sess.user:
		sc.write(replyAlreadyAuth)
		return
	case sc.sess.inTx:
		sc.write(replyAuthInTx)
		return
	}
	mech, ir, _ := strings.Cut(string(arg), " ")
	if mech == "" {
		sc.write(replyAuthSyntax)
		return
	}
	srv, err := sc.sess.auth(mech)
	if err != nil {
		sc.write(Status(err))
		return
	}
	if r := sc.ag.Auth(sc.agentCtx(), strings.ToUpper(mech)); r != nil {
		sc.writeAgent(r)
		return
	}
	var resp []byte
	switch ir {
	case "":
	case "=":
		resp = []byte{}
	default:
		if resp, err = base64.StdEncoding.DecodeString(ir); err != nil {
			sc.write(replyAuthMalformed)
			return
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			if r := sc.ag.EndOfAuthentication(sc.agentCtx(), strings.ToUpper(mech), ""); r != nil {
				sc.writeAgent(r)
				return
			}
			sc.write(Status(err))
			return
		}
		if done {
			if r := sc.ag.EndOfAuthentication(sc.agentCtx(), strings.ToUpper(mech), string(sc.sess.id.Principal)); r != nil {
				// The agent's refusal undoes the login.
				sc.sess.user = false
				sc.sess.setIdentity(sc.sess.initialIdentity())
				sc.writeAgent(r)
				return
			}
			sc.write(replyAuthOK)
			return
		}
		sc.writeRaw([]byte("334 " + base64.StdEncoding.EncodeToString(challenge) + "\r\n"))
		line, err := sc.readCommand()
		if err != nil {
			sc.quit = true
			return
		}
		if string(line) == "*" {
			sc.write(replyAuthCancelled)
			return
		}
		if resp, err = base64.StdEncoding.DecodeString(string(line)); err != nil {
			sc.write(replyAuthMalformed)
			return
		}
	}
}
