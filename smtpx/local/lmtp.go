package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// LMTP hands messages to a mailbox server over LMTP (RFC 2033), for
// example Dovecot or Cyrus, on a unix socket or a TCP port. It opens one
// connection per Deliver call: local sockets are cheap, and a fresh
// connection means no state (or half-read reply) survives a failed
// delivery. DSN parameters are not passed on: the queue owns notifications.
//
// Per recipient, a refused RCPT gives that reply; accepted recipients get
// the server's own reply after DATA (RFC 2033 section 4.2). A failure before
// any recipient is confirmed is returned as an error, so the queue retries
// the whole attempt; once some are confirmed, the unconfirmed ones get
// 451 4.4.2, so nobody receives the message twice.
type LMTP struct {
	network, addr string
	remote        string // RemoteMTA of results
	opts          lmtpOptions
}

var _ queue.Deliverer = (*LMTP)(nil)

// LMTPOption configures NewLMTP.
type LMTPOption interface{ apply(*lmtpOptions) }

type lmtpOptions struct {
	localName      string
	dialTimeout    time.Duration
	commandTimeout time.Duration
	dataTimeout    time.Duration
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
}

// quitTimeout bounds the wait for the reply to QUIT.
const quitTimeout = 5 * time.Second

type lmtpFuncOption func(*lmtpOptions)

func (f lmtpFuncOption) apply(o *lmtpOptions) { f(o) }

func defaultLMTPOptions() lmtpOptions {
	return lmtpOptions{dialTimeout: 30 * time.Second, commandTimeout: 5 * time.Minute, dataTimeout: 10 * time.Minute}
}

// WithLocalName sets the name sent in LHLO; the default is os.Hostname(),
// or "localhost" when it is unknown.
func WithLocalName(name string) LMTPOption {
	return lmtpFuncOption(func(o *lmtpOptions) { o.localName = name })
}

// WithDialTimeout bounds connecting (default 30s).
func WithDialTimeout(d time.Duration) LMTPOption {
	return lmtpFuncOption(func(o *lmtpOptions) { o.dialTimeout = d })
}

// WithCommandTimeout bounds each command's reply, greeting included
// (default 5 minutes, RFC 5321 section 4.5.3.2).
func WithCommandTimeout(d time.Duration) LMTPOption {
	return lmtpFuncOption(func(o *lmtpOptions) { o.commandTimeout = d })
}

// WithDataTimeout bounds the wait for the per-recipient replies after the
// message has been sent (default 10 minutes, RFC 5321 section 4.5.3.2).
func WithDataTimeout(d time.Duration) LMTPOption {
	return lmtpFuncOption(func(o *lmtpOptions) { o.dataTimeout = d })
}

// WithDialer replaces the dialer (default a net.Dialer with the dial
// timeout), e.g. to reach the server through a proxy or an in-memory pipe.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) LMTPOption {
	return lmtpFuncOption(func(o *lmtpOptions) { o.dial = dial })
}

// NewLMTP returns an LMTP delivery to addr on network, which is "unix" (addr
// is a socket path) or "tcp", "tcp4", "tcp6" (addr is host:port). Nothing
// is dialled until the first delivery.
func NewLMTP(network, addr string, opts ...LMTPOption) (*LMTP, error) {
	o := defaultLMTPOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	l := &LMTP{network: network, addr: addr, opts: o}
	switch network {
	case "unix":
	case "tcp", "tcp4", "tcp6":
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("local: lmtp address %q: %w", addr, err)
		}
		l.remote = host
	default:
		return nil, fmt.Errorf("local: lmtp network %q: want unix, tcp, tcp4 or tcp6", network)
	}
	if addr == "" {
		return nil, errors.New("local: empty lmtp address")
	}
	if o.localName == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			l.opts.localName = h
		} else {
			l.opts.localName = "localhost"
		}
	}
	if o.dial == nil {
		d := &net.Dialer{Timeout: o.dialTimeout}
		l.opts.dial = d.DialContext
	}
	return l, nil
}

// Deliver sends msg to the LMTP server for rcpts: a queue.Deliverer for
// the KindMailbox next hop, whose hop it does not consult.
func (l *LMTP) Deliver(ctx context.Context, _ queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
	return l.deliver(ctx, &msg.Envelope, msg.Open, rcpts)
}

// deliver is Deliver on an envelope and a body opener.
func (l *LMTP) deliver(ctx context.Context, env *queue.Envelope, open func() (io.ReadCloser, error), rcpts []queue.Recipient) ([]queue.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := l.opts.dial(ctx, l.network, l.addr)
	if err != nil {
		return nil, fmt.Errorf("local: lmtp dial %s: %w", l.addr, err)
	}
	// go-smtp's client has no context: closing the conn unblocks it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = l.opts.commandTimeout, l.opts.dataTimeout
	s := &lmtpTxn{l: l, ctx: ctx, c: c, results: make([]queue.Result, len(rcpts))}
	res, err := s.run(env, open, rcpts)
	if err != nil {
		return nil, err
	}
	if ctx.Err() == nil {
		// Courtesy only: the outcome is known, so a slow QUIT must not
		// hold the delivery up.
		c.CommandTimeout = min(c.CommandTimeout, quitTimeout)
		c.Quit()
	}
	return res, nil
}

// lmtpTxn is one LMTP transaction.
type lmtpTxn struct {
	l       *LMTP
	ctx     context.Context
	c       *smtp.Client
	results []queue.Result
}

// run performs LHLO, MAIL, RCPT per distinct recipient, DATA.
func (t *lmtpTxn) run(env *queue.Envelope, open func() (io.ReadCloser, error), rcpts []queue.Recipient) ([]queue.Result, error) {
	if err := t.c.Hello(t.l.opts.localName); err != nil {
		return nil, t.fail("LHLO", err)
	}
	opts := &smtp.MailOptions{Size: env.Size}
	if ok, _ := t.c.Extension("SMTPUTF8"); ok && env.SMTPUTF8 {
		opts.UTF8 = true
	}
	if err := t.c.Mail(env.From, opts); err != nil {
		return t.all(rcpts, nil, "MAIL", err)
	}
	var accepted []string
	byAddr := make(map[string][]int, len(rcpts))
	for i, r := range rcpts {
		if idx, dup := byAddr[r.Address]; dup {
			byAddr[r.Address] = append(idx, i)
			continue
		}
		byAddr[r.Address] = []int{i}
		if err := t.c.Rcpt(r.Address, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				return nil, t.fail("RCPT", err)
			}
			t.results[i] = t.fromSMTP(se)
			continue
		}
		accepted = append(accepted, r.Address)
	}
	t.copyDuplicates(byAddr)
	if len(accepted) == 0 {
		return t.results, nil
	}
	w, err := t.c.Data()
	if err != nil {
		return t.all(rcpts, accepted, "DATA", err)
	}
	if err := t.send(w, open); err != nil {
		return nil, err
	}
	resp, err := w.CloseWithLMTPResponse()
	return t.replies(byAddr, accepted, resp, err)
}

// send streams the body; a failure leaves the DATA unterminated, so the
// server discards it when the connection closes.
func (t *lmtpTxn) send(w io.Writer, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return fmt.Errorf("local: lmtp: open body: %w", err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, &sourceReader{ctx: t.ctx, r: rc}); err != nil {
		return t.fail("DATA", err)
	}
	return nil
}

// replies maps the per-recipient replies after DATA to results.
func (t *lmtpTxn) replies(byAddr map[string][]int, accepted []string, resp map[string]*smtp.DataResponse, err error) ([]queue.Result, error) {
	var perRcpt smtp.LMTPDataError
	errors.As(err, &perRcpt)
	known := false
	for _, a := range accepted {
		r := queue.Result{Code: 451, Enhanced: "4.4.2", Text: "LMTP connection lost before this recipient's reply", RemoteMTA: t.l.remote}
		if dr, ok := resp[a]; ok {
			r, known = t.success(dr.StatusText), true
		} else if se, ok := perRcpt[a]; ok {
			r, known = t.fromSMTP(se), true
		}
		for _, i := range byAddr[a] {
			t.results[i] = r
		}
	}
	if !known && err != nil {
		// Not one reply: nothing is known to be delivered, retry it all.
		return nil, t.fail("DATA", err)
	}
	return t.results, nil
}

// all gives every recipient not yet judged (or those in only, when set)
// the reply to a transaction-wide command; a non-SMTP error fails the
// attempt.
func (t *lmtpTxn) all(rcpts []queue.Recipient, only []string, cmd string, err error) ([]queue.Result, error) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return nil, t.fail(cmd, err)
	}
	r := t.fromSMTP(se)
	for i, rc := range rcpts {
		if t.results[i].Code == 0 && (only == nil || slices.Contains(only, rc.Address)) {
			t.results[i] = r
		}
	}
	return t.results, nil
}

// copyDuplicates gives repeated addresses the result of their first one.
func (t *lmtpTxn) copyDuplicates(byAddr map[string][]int) {
	for _, idx := range byAddr {
		for _, i := range idx[1:] {
			t.results[i] = t.results[idx[0]]
		}
	}
}

// fail wraps a connection-level error, preferring ctx's reason when the
// conn was closed because ctx ended.
func (t *lmtpTxn) fail(cmd string, err error) error {
	if cerr := t.ctx.Err(); cerr != nil {
		err = cerr
	}
	return fmt.Errorf("local: lmtp %s %s: %w", t.l.addr, cmd, err)
}

func (t *lmtpTxn) fromSMTP(se *smtp.SMTPError) queue.Result {
	r := queue.Result{Code: se.Code, Text: se.Message, RemoteMTA: t.l.remote}
	if ec := se.EnhancedCode; ec[0] > 0 {
		r.Enhanced = fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
	}
	return r
}

// success builds a 250 result, splitting off an enhanced code the server
// put in front of its text ("2.0.0 <id> Saved").
func (t *lmtpTxn) success(text string) queue.Result {
	r := queue.Result{Code: 250, Text: text, RemoteMTA: t.l.remote}
	if code, rest, ok := strings.Cut(text, " "); ok {
		if st, err := dsn.ParseStatus(code); err == nil && st.Class == 2 {
			r.Enhanced, r.Text = code, rest
		}
	}
	return r
}
