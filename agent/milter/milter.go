package milter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gm "github.com/d--j/go-milter"

	"github.com/hubedge/hubedge/agent"
)

// DefaultTimeout bounds connecting to the filter and each exchange with it.
const DefaultTimeout = 10 * time.Second

// Config describes one milter.
type Config struct {
	Name string // for logs and the chain ("rspamd")
	// Network and Address locate the filter: "tcp" and "127.0.0.1:11332",
	// or "unix" and a socket path.
	Network, Address string
	// Timeout bounds connect, each read and write, and each agent event
	// (DefaultTimeout if zero).
	Timeout time.Duration
	// FailOpen lets mail through when the filter fails; by default the
	// command is answered 451 4.7.0.
	FailOpen bool
	// Hostname is this server's name, the j macro.
	Hostname string
	// QuarantineMailbox receives messages the filter quarantines. Without
	// one, a quarantined message is delivered with an X-Quarantine-Reason
	// field (hubedge's) so it is not lost.
	QuarantineMailbox string
	// ScoreOnly turns the filter's verdict on the message into the SCL
	// instead of enforcing it.
	ScoreOnly bool
	// Score reads an SCL from a header field the filter adds; RspamdScore
	// by default.
	Score  func(name, value string) (scl int, ok bool)
	Logger *slog.Logger
}

// Milter is an agent for one filter.
type Milter struct {
	cfg Config
}

var (
	_ agent.ConnectAgent    = (*Milter)(nil)
	_ agent.EhloAgent       = (*Milter)(nil)
	_ agent.MailAgent       = (*Milter)(nil)
	_ agent.RcptAgent       = (*Milter)(nil)
	_ agent.DataAgent       = (*Milter)(nil)
	_ agent.EndOfDataAgent  = (*Milter)(nil)
	_ agent.DisconnectAgent = (*Milter)(nil)
)

// New checks cfg and returns the agent.
func New(cfg Config) (*Milter, error) {
	if cfg.Network == "" || cfg.Address == "" {
		return nil, errors.New("milter: Network and Address are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Network + ":" + cfg.Address
	}
	if cfg.Score == nil {
		cfg.Score = RspamdScore
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Milter{cfg: cfg}, nil
}

// Register adds m to chain under its name, with its timeout and fail-open
// setting (a little longer than the filter's own I/O timeout, so the
// filter's errors are seen before the chain gives up).
func Register(chain *agent.Chain, m *Milter, opts ...agent.RegisterOption) error {
	opts = append(opts, agent.Timeout(m.cfg.Timeout+m.cfg.Timeout/2))
	if m.cfg.FailOpen {
		opts = append(opts, agent.FailOpen())
	}
	return chain.Register(m.cfg.Name, m, opts...)
}

// ErrUnavailable wraps the error of a filter that failed earlier in the
// connection and is no longer asked.
var ErrUnavailable = errors.New("milter: filter unavailable")

// conn is one SMTP connection's milter session.
type conn struct {
	mu       sync.Mutex // held for an exchange
	s        *gm.ClientSession
	nc       atomic.Pointer[net.Conn] // closed to abort a blocked exchange
	macros   *gm.MacroBag
	err      error // the failure that broke the session
	accepted bool  // the filter accepted the transaction: ask no more
	discard  bool
	inTx     bool // MAIL was sent and the transaction not ended or aborted
}

// endTx aborts the filter's transaction if one is open: the session may
// start another (a new MAIL or EHLO after a refusal) without RSET.
func (c *conn) endTx() error {
	c.accepted, c.discard = false, false
	if !c.inTx {
		return nil
	}
	c.inTx = false
	return c.s.Abort(nil)
}

type connKey struct{ m *Milter }

// valuer is what both event kinds offer for per-connection state.
type valuer interface {
	Value(any) any
	SetValue(any, any)
}

// dialer keeps the connection it made so that a context can close it.
type dialer struct {
	c       *conn
	timeout time.Duration
}

func (d dialer) Dial(network, addr string) (net.Conn, error) {
	nc, err := net.DialTimeout(network, addr, d.timeout)
	if err == nil {
		d.c.nc.Store(&nc)
	}
	return nc, err
}

// OnConnect opens the milter session and sends the connection facts.
func (m *Milter) OnConnect(ctx context.Context, e *agent.CommandEvent) error {
	c := &conn{macros: gm.NewMacroBag()}
	e.SetValue(connKey{m}, c)
	return m.do(ctx, e, func(c *conn) (*gm.Action, error) {
		cl := gm.NewClient(m.cfg.Network, m.cfg.Address,
			gm.WithDialer(dialer{c, m.cfg.Timeout}),
			gm.WithReadTimeout(m.cfg.Timeout), gm.WithWriteTimeout(m.cfg.Timeout),
			gm.WithoutProtocol(gm.OptHeaderLeadingSpace),
			gm.WithActions(gm.OptAddHeader|gm.OptChangeBody|gm.OptAddRcpt|gm.OptRemoveRcpt|gm.OptChangeHeader|gm.OptQuarantine|gm.OptSetMacros))
		setConnectMacros(c.macros, m.cfg.Hostname, &e.Session)
		s, err := cl.Session(c.macros)
		if err != nil {
			return nil, err
		}
		c.s = s
		ip := e.Session.Remote.Addr().Unmap()
		family := gm.FamilyInet
		if ip.Is6() {
			family = gm.FamilyInet6
		}
		return s.Conn(clientName(&e.Session), family, e.Session.Remote.Port(), ip.String())
	})
}

// clientName is the address literal: the session does no reverse lookup.
func clientName(s *agent.Session) string {
	return "[" + s.Remote.Addr().Unmap().String() + "]"
}

func setConnectMacros(b *gm.MacroBag, host string, s *agent.Session) {
	b.Set(gm.MacroMTAFQDN, host)
	b.Set(gm.MacroDaemonName, s.Connector)
	b.Set(gm.MacroIfAddr, s.Local.Addr().String())
	b.Set(gm.MacroDaemonAddr, s.Local.Addr().String())
	b.Set(gm.MacroDaemonPort, strconv.Itoa(int(s.Local.Port())))
	b.Set(gm.MacroClientAddr, s.Remote.Addr().Unmap().String())
	b.Set(gm.MacroClientPort, strconv.Itoa(int(s.Remote.Port())))
	b.Set(gm.MacroClientName, clientName(s))
	b.Set(gm.MacroMTAVersion, "hubedge")
}

// OnHeloCommand sends HELO.
func (m *Milter) OnHeloCommand(ctx context.Context, e *agent.CommandEvent) error {
	return m.helo(ctx, e)
}

// OnEhloCommand sends EHLO's name as HELO.
func (m *Milter) OnEhloCommand(ctx context.Context, e *agent.CommandEvent) error {
	return m.helo(ctx, e)
}

func (m *Milter) helo(ctx context.Context, e *agent.CommandEvent) error {
	return m.do(ctx, e, func(c *conn) (*gm.Action, error) {
		if err := c.endTx(); err != nil {
			return nil, err
		}
		return c.s.Helo(e.Arg)
	})
}

// OnMailCommand starts a transaction with the filter.
func (m *Milter) OnMailCommand(ctx context.Context, e *agent.CommandEvent) error {
	return m.do(ctx, e, func(c *conn) (*gm.Action, error) {
		if err := c.endTx(); err != nil {
			return nil, err
		}
		c.inTx = true
		if e.Session.AuthUser != "" {
			c.macros.Set(gm.MacroAuthAuthen, e.Session.AuthUser)
			c.macros.Set(gm.MacroAuthType, "LOGIN")
		}
		c.macros.Set(gm.MacroMailAddr, e.Arg)
		c.macros.Set(gm.MacroMailHost, domainOf(e.Arg))
		c.macros.Set(gm.MacroMailMailer, "esmtp")
		return c.s.Mail(e.Arg, strings.Join(e.Params, " "))
	})
}

func domainOf(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

// OnRcptCommand sends one recipient.
func (m *Milter) OnRcptCommand(ctx context.Context, e *agent.CommandEvent) error {
	return m.doTx(ctx, e, func(c *conn) (*gm.Action, error) {
		c.macros.Set(gm.MacroRcptAddr, e.Arg)
		c.macros.Set(gm.MacroRcptHost, domainOf(e.Arg))
		c.macros.Set(gm.MacroRcptMailer, "esmtp")
		return c.s.Rcpt(e.Arg, strings.Join(e.Params, " "))
	})
}

// OnDataCommand sends DATA, unless no recipient was accepted (then the
// session refuses DATA itself).
func (m *Milter) OnDataCommand(ctx context.Context, e *agent.CommandEvent) error {
	if len(e.Session.Recipients) == 0 {
		return nil
	}
	return m.doTx(ctx, e, func(c *conn) (*gm.Action, error) {
		c.macros.Set(gm.MacroQueueId, e.Session.ID)
		return c.s.DataStart()
	})
}

// OnEndOfData sends the header and body, then end of message, and turns
// the filter's actions into message edits.
func (m *Milter) OnEndOfData(ctx context.Context, e *agent.MessageEvent) error {
	var mods []gm.ModifyAction
	err := m.doTx(ctx, e, func(c *conn) (*gm.Action, error) {
		for _, f := range e.Header {
			act, err := c.s.HeaderField(f.Name, strings.TrimPrefix(f.Value, " "), nil)
			if err != nil || act.Type != gm.ActionContinue {
				return act, err
			}
		}
		if act, err := c.s.HeaderEnd(); err != nil || act.Type != gm.ActionContinue {
			return act, err
		}
		var body io.Reader = strings.NewReader("")
		if e.Body != nil {
			body = e.Body
		}
		var act *gm.Action
		var err error
		mods, act, err = c.s.BodyReadFrom(body)
		c.inTx = false
		return act, err
	})
	c, _ := e.Value(connKey{m}).(*conn)
	if r := agent.AsReply(err); r != nil && m.cfg.ScoreOnly && !r.Temporary() {
		e.SetSCL(9)
		err = nil
	}
	if err != nil {
		return err
	}
	m.apply(e, mods)
	if c != nil && c.discard {
		if m.cfg.ScoreOnly {
			e.SetSCL(9)
		} else {
			e.Discard()
		}
	}
	return nil
}

// apply turns end-of-message actions into edits.
func (m *Milter) apply(e *agent.MessageEvent, mods []gm.ModifyAction) {
	var body []byte
	replaced := false
	for _, a := range mods {
		switch a.Type {
		case gm.ActionAddHeader:
			e.AddHeader(a.HeaderName, crlf(a.HeaderValue))
			m.score(e, a.HeaderName, a.HeaderValue)
		case gm.ActionInsertHeader:
			e.InsertHeader(int(a.HeaderIndex), a.HeaderName, crlf(a.HeaderValue))
			m.score(e, a.HeaderName, a.HeaderValue)
		case gm.ActionChangeHeader:
			e.ChangeHeader(a.HeaderName, int(a.HeaderIndex), crlf(a.HeaderValue))
			m.score(e, a.HeaderName, a.HeaderValue)
		case gm.ActionReplaceBody:
			body, replaced = append(body, a.Body...), true
		case gm.ActionAddRcpt:
			e.AddRecipient(strings.Trim(a.Rcpt, "<>"))
		case gm.ActionDelRcpt:
			e.DropRecipient(strings.Trim(a.Rcpt, "<>"), nil)
		case gm.ActionQuarantine:
			m.quarantine(e, a.Reason)
		default:
			m.cfg.Logger.Warn("milter: action not supported, ignored", "milter", m.cfg.Name, "action", a.Type)
		}
	}
	if replaced {
		e.ReplaceBody(bytes.NewReader(body), int64(len(body)))
	}
}

func (m *Milter) quarantine(e *agent.MessageEvent, reason string) {
	switch {
	case m.cfg.ScoreOnly:
		e.SetSCL(9)
	case m.cfg.QuarantineMailbox != "":
		e.Quarantine(m.cfg.QuarantineMailbox)
	default:
		e.SetHeader("X-Quarantine-Reason", clean(reason))
	}
}

func (m *Milter) score(e *agent.MessageEvent, name, value string) {
	if scl, ok := m.cfg.Score(name, value); ok {
		e.SetSCL(scl)
	}
}

// crlf makes the filter's bare-LF folding CRLF, as on the wire.
func crlf(v string) string {
	return strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\n", "\r\n")
}

// OnRsetCommand aborts the filter's transaction.
func (m *Milter) OnRsetCommand(ctx context.Context, e *agent.CommandEvent) error {
	return m.do(ctx, e, func(c *conn) (*gm.Action, error) {
		return nil, c.endTx()
	})
}

// OnDisconnect closes the milter session.
func (m *Milter) OnDisconnect(_ context.Context, e *agent.CommandEvent) error {
	c, _ := e.Value(connKey{m}).(*conn)
	if c == nil || !c.mu.TryLock() {
		if c != nil {
			c.abort() // a late call still holds the session: unblock it
		}
		return nil
	}
	defer c.mu.Unlock()
	if c.s != nil {
		c.s.Close()
	}
	return nil
}

// abort closes the connection to the filter, if there is one.
func (c *conn) abort() {
	if nc := c.nc.Load(); nc != nil {
		(*nc).Close()
	}
}

// do runs one exchange with the filter under ctx and turns its answer
// into what the agent returns.
func (m *Milter) do(ctx context.Context, e valuer, f func(c *conn) (*gm.Action, error)) error {
	return m.exchange(ctx, e, false, f)
}

// doTx is do for the events of a transaction (RCPT, DATA, the message),
// which a filter that accepted the transaction is not asked about.
func (m *Milter) doTx(ctx context.Context, e valuer, f func(c *conn) (*gm.Action, error)) error {
	return m.exchange(ctx, e, true, f)
}

func (m *Milter) exchange(ctx context.Context, e valuer, tx bool, f func(c *conn) (*gm.Action, error)) error {
	c, _ := e.Value(connKey{m}).(*conn)
	if c == nil {
		return nil // registered after this connection started
	}
	if !c.mu.TryLock() {
		return m.failed(fmt.Errorf("%w: an earlier exchange is still running", ErrUnavailable), true)
	}
	defer c.mu.Unlock()
	if c.err != nil {
		return m.failed(fmt.Errorf("%w: %w", ErrUnavailable, c.err), false) // logged when it happened
	}
	if tx && c.accepted {
		return nil
	}
	stop := context.AfterFunc(ctx, c.abort)
	act, err := f(c)
	stop()
	if err != nil {
		c.err = err
		if c.s != nil {
			c.s.Close()
		}
		return m.failed(err, true)
	}
	return m.action(c, act)
}

// failed is the agent's answer when the filter failed: nothing if it
// fails open (the failure logged once), else an error the chain answers
// 451 4.7.0.
func (m *Milter) failed(err error, log bool) error {
	if m.cfg.FailOpen {
		if log {
			m.cfg.Logger.Warn("milter: filter failed, mail goes on without it", "milter", m.cfg.Name, "error", err)
		}
		return nil
	}
	return fmt.Errorf("%s: %w", m.cfg.Name, err) // err says it is the milter's
}

// action maps the filter's reply to a command onto the agent's answer.
func (m *Milter) action(c *conn, act *gm.Action) error {
	if act == nil {
		return nil
	}
	switch act.Type {
	case gm.ActionAccept:
		c.accepted = true
	case gm.ActionDiscard:
		c.discard = true
	case gm.ActionReject, gm.ActionTempFail, gm.ActionRejectWithCode:
		return ParseReply(int(act.SMTPCode), act.SMTPReply)
	}
	return nil
}
