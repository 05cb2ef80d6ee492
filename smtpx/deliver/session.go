package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tlsrpt"
)

// target is one address to try for a next hop.
type target struct {
	host string // name for TLS checks, AUTH policy and RemoteMTA
	addr string // "ip:port"; "" when resolution failed (err set)
	err  *AttemptError
	// tp is the DANE or MTA-STS policy of a DNS-routed host, nil when the
	// connector's settings alone apply; mxSecure: its MX and address
	// records were DNSSEC-validated.
	tp       *hostTLS
	mxSecure bool
	note     string // why only the connector's settings apply (tp nil), for the protocol log
}

// sessionParams is what a session needs from the hop and connector.
type sessionParams struct {
	key        string
	ehlo       string
	policy     auth.ClientPolicy
	rcptDomain string        // DomainValidation without TlsDomain
	logAs      string        // protocol log connector id; "" when not logged
	hop        queue.NextHop // for the session's events
}

// watch closes c when ctx ends, the only way to interrupt go-smtp's client.
// The returned stop waits for the close to finish if it had started, so no
// goroutine outlives the caller.
func watch(ctx context.Context, c net.Conn) (stop func() bool) {
	done := make(chan struct{})
	stopf := context.AfterFunc(ctx, func() {
		defer close(done)
		_ = c.Close()
	})
	return func() bool {
		if stopf() {
			return false
		}
		<-done
		return true // ctx ended and the connection was closed
	}
}

// open dials t and negotiates a session ready for MAIL FROM.
func (d *Deliverer) open(ctx context.Context, sp sessionParams, t target) (*conn, *AttemptError) {
	fail := func(code int, enh string, err error) *AttemptError {
		return &AttemptError{Host: t.host, Addr: t.addr, Code: code, Enhanced: enh, Err: err}
	}
	d.emit(Event{Kind: EventDial, Hop: sp.hop, Host: t.host, Addr: t.addr})
	dctx, cancel := context.WithTimeout(ctx, d.opts.timeouts.Connect)
	raw, err := d.opts.dial(dctx, "tcp", t.addr)
	cancel()
	if err != nil {
		return nil, fail(451, "4.4.1", err)
	}
	raw = d.logDialed(sp.logAs, &boundedConn{Conn: raw})
	logPolicy(raw, t, sp.policy)
	stop := watch(ctx, raw)
	sp.policy = t.tp.clientPolicy(sp.policy)
	cn, aerr := d.negotiate(ctx, sp, t, raw)
	d.reportSession(t.tp, raw.LocalAddr().String(), t.addr, cn, aerr)
	if cancelled := stop(); cancelled && aerr == nil {
		cn.broken = true
		_ = cn.nc.Close()
		return nil, fail(451, "4.4.2", ctx.Err())
	}
	if aerr != nil {
		_ = raw.Close()
		if ctx.Err() != nil {
			aerr.Err = errors.Join(ctx.Err(), aerr.Err)
		}
		return nil, aerr
	}
	return cn, nil
}

// negotiate speaks the greeting, EHLO and STARTTLS on the raw connection,
// then the fresh EHLO after TLS (RFC 3207 §4.2), the certificate checks
// and AUTH that auth.Plan asks for.
func (d *Deliverer) negotiate(ctx context.Context, sp sessionParams, t target, raw net.Conn) (*conn, *AttemptError) {
	fail := func(code int, enh string, err error) *AttemptError {
		return &AttemptError{Host: t.host, Addr: t.addr, Code: code, Enhanced: enh, Err: err}
	}
	cmdTO := d.opts.timeouts.Command
	tp := newChat(raw)
	_ = raw.SetDeadline(time.Now().Add(cmdTO))
	if _, err := tp.read(220); err != nil {
		return nil, replyFailure(fail, err, ErrGreeting)
	}
	exts, err := ehlo(tp, sp.ehlo)
	if err != nil {
		return nil, replyFailure(fail, err, nil)
	}
	ext := toAuthExtensions(exts)
	cn := &conn{key: sp.key, host: t.host, addr: t.addr, raw: raw, mxSecure: t.mxSecure}
	var net0 net.Conn = raw
	st := auth.ClientState{}
	noStartTLS := false
	step, err := auth.Plan(sp.policy, t.host, ext, st)
	if err != nil {
		err = t.explain(err)
		logRefused(raw, err)
		quitRaw(tp)
		return nil, fail(451, policyStatus(err), err)
	}
	var sessions *hopSessions
	if step.Kind == auth.StepStartTLS {
		var tc *tls.Conn
		var aerr *AttemptError
		tc, sessions, aerr = d.startTLS(ctx, tp, raw, sp, t)
		switch {
		case aerr == nil:
			net0, st.TLS = logTLS(raw, tc), true
			cn.tls, cn.tlsState = true, tc.ConnectionState()
		case isReply(aerr.Err):
			// STARTTLS refused by the server: opportunistic policies go on in
			// plaintext (Plan refuses if TLS is required).
			ext.StartTLS, noStartTLS = false, true
			if _, err := auth.Plan(sp.policy, t.host, ext, st); err != nil {
				err = t.explain(err)
				logRefused(raw, err)
				quitRaw(tp)
				return nil, fail(451, policyStatus(err), errors.Join(err, aerr.Err))
			}
		default:
			return nil, aerr
		}
	}
	handOver(raw)
	cn.nc = net0
	if st.TLS {
		// What the plaintext EHLO said no longer counts (RFC 3207 §4.2).
		tp = newChat(net0)
		_ = raw.SetDeadline(time.Now().Add(cmdTO))
		if exts, err = ehlo(tp, sp.ehlo); err != nil {
			_ = net0.Close()
			return nil, replyFailure(fail, err, nil)
		}
	}
	policyVerified := cn.tls && t.tp != nil && t.tp.required && (t.tp.kind != PolicyDANE || len(t.tp.tlsa) > 0)
	if policyVerified {
		// The handshake passed the policy's verify: it stands for the
		// connector's own certificate checks (a smart host under DANE).
		st.Verified, cn.verified = true, true
	}
	aerr := d.finishPlan(cn, tp, exts, sp, t, st, noStartTLS)
	if aerr == nil && tp.br.Buffered() > 0 {
		// The server said more than it was asked: its replies would not
		// match the transaction's commands.
		aerr = fail(451, "4.5.0", errOutOfStep)
	}
	if aerr != nil {
		if pe := (*auth.PolicyError)(nil); errors.As(aerr.Err, &pe) {
			logRefused(raw, aerr.Err)
		}
		sessions.forget() // refused by the policy's checks, or AUTH failed: start afresh next time
		if !errors.Is(aerr.Err, net.ErrClosed) {
			_ = raw.SetDeadline(time.Now().Add(min(cmdTO, 5*time.Second)))
			quitRaw(tp)
		}
		_ = net0.Close()
		return nil, aerr
	}
	cn.ext = extOf(exts)
	if policyVerified {
		cn.policyAuth = t.tp.kind
	}
	return cn, nil
}

// finishPlan runs auth.Plan's remaining steps (certificate checks, AUTH)
// on tp, given the server's EHLO extensions, until it says proceed.
func (d *Deliverer) finishPlan(cn *conn, tp *chat, exts map[string]string, sp sessionParams, t target, st auth.ClientState, noStartTLS bool) *AttemptError {
	fail := func(enh string, err error) *AttemptError {
		return &AttemptError{Host: t.host, Addr: t.addr, Code: 451, Enhanced: enh, Err: err}
	}
	tlsReported, verifiedName := false, ""
	if st.Verified && t.tp.kind == PolicyDANE {
		verifiedName = t.tp.names[0]
	}
	reportTLS := func() {
		if st.TLS && !tlsReported {
			tlsReported = true
			d.emit(Event{Kind: EventTLS, Hop: sp.hop, Host: t.host, Addr: t.addr, TLSVersion: tls.VersionName(cn.tlsState.Version),
				VerifiedName: verifiedName, TLSResumed: cn.tlsState.DidResume})
		}
	}
	for range 4 {
		ext := toAuthExtensions(exts)
		if noStartTLS {
			ext.StartTLS = false
		}
		step, err := auth.Plan(sp.policy, t.host, ext, st)
		if err != nil {
			return fail(policyStatus(err), err)
		}
		switch step.Kind {
		case auth.StepVerify:
			if err := sp.policy.VerifyPeer(t.host, sp.rcptDomain, cn.tlsState, d.opts.roots); err != nil {
				return fail(policyStatus(err), &auth.PolicyError{Step: auth.StepVerify, Err: err})
			}
			st.Verified, cn.verified = true, true
			verifiedName = step.VerifyName
			if verifiedName == "" && step.VerifyLevel == auth.DomainValidation {
				verifiedName = sp.rcptDomain
			}
			reportTLS()
		case auth.StepAuth:
			reportTLS()
			cred := sp.policy.Credentials
			var cl sasl.Client
			if step.Mechanism == auth.MechPlain {
				cl = sasl.NewPlainClient("", cred.Username, cred.Password)
			} else {
				cl = sasl.NewLoginClient(cred.Username, cred.Password)
			}
			_ = cn.raw.SetDeadline(time.Now().Add(d.opts.timeouts.Command))
			if err := authenticate(tp, cl); err != nil {
				return fail("4.7.0", fmt.Errorf("deliver: AUTH %s: %w", step.Mechanism, err))
			}
			st.Authenticated = true
			d.emit(Event{Kind: EventAuth, Hop: sp.hop, Host: t.host, Addr: t.addr, Mechanism: step.Mechanism})
		case auth.StepProceed:
			reportTLS()
			return nil
		default: // StartTLS offered only on the second EHLO: not trusted
			return fail("4.7.0", fmt.Errorf("%w: STARTTLS offered only after the first EHLO", ErrTLS))
		}
	}
	return fail("4.7.0", errors.New("deliver: negotiation did not converge"))
}

// startTLS issues STARTTLS on the raw session and completes the handshake
// with the policy's TLS configuration.
// The session cache it used (nil when resumption is off) lets the caller
// drop the session if the policy's later checks refuse it.
func (d *Deliverer) startTLS(ctx context.Context, tp *chat, raw net.Conn, sp sessionParams, t target) (*tls.Conn, *hopSessions, *AttemptError) {
	fail := func(code int, enh string, err error) *AttemptError {
		return &AttemptError{Host: t.host, Addr: t.addr, Code: code, Enhanced: enh, Err: err}
	}
	if _, err := tp.cmd(220, "STARTTLS"); err != nil {
		return nil, nil, replyFailure(fail, err, nil)
	}
	if tp.br.Buffered() > 0 { // RFC 3207 §6: no plaintext may cross into TLS
		return nil, nil, fail(451, "4.7.5", fmt.Errorf("%w: data after the STARTTLS reply", ErrTLS))
	}
	handOver(raw)
	cfg := sp.policy.TLSConfig(t.host, d.opts.roots)
	if h := t.tp; h != nil && h.required {
		// The host's DANE or MTA-STS policy judges the certificate.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			err := h.verify(cs, d.opts.roots, time.Now())
			if err != nil {
				logRefused(raw, err)
			}
			return err
		}
		if h.kind == PolicyDANE {
			cfg.ServerName = h.names[0] // RFC 7672 §8.1: SNI is the TLSA base domain
		}
	}
	sessions := d.sessionCacheFor(sp.key)
	if sessions != nil {
		cfg.ClientSessionCache = sessions
	}
	tc := tls.Client(unlogged(raw), cfg)
	hctx, cancel := context.WithTimeout(ctx, d.opts.timeouts.Command)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		sessions.forget()
		return nil, nil, fail(451, "4.7.5", fmt.Errorf("%w: %w", ErrTLS, err))
	}
	return tc, sessions, nil
}

// replyFailure turns a failed exchange into an AttemptError: the server's
// reply (a *dsn.Reply) when it sent one, a connection-level 4.4.2
// otherwise.
func replyFailure(fail func(int, string, error) *AttemptError, err, sentinel error) *AttemptError {
	var r *dsn.Reply
	if !errors.As(err, &r) {
		return fail(451, "4.4.2", err)
	}
	var cause error = r
	if sentinel != nil {
		cause = fmt.Errorf("%w: %w", sentinel, cause)
	}
	return fail(r.Code, r.Enhanced(), cause)
}

func quitRaw(tp *chat) {
	_, _ = tp.cmd(221, "QUIT")
}

func toAuthExtensions(ext map[string]string) auth.Extensions {
	_, tls := ext["STARTTLS"]
	e := auth.Extensions{StartTLS: tls}
	if mechs, ok := ext["AUTH"]; ok {
		e.Auth = strings.Fields(mechs)
	}
	return e
}

// isReply reports whether err carries a server reply (as opposed to a
// network or TLS failure).
func isReply(err error) bool {
	var r *dsn.Reply
	return errors.As(err, &r)
}

// explain says which host policy a failure of auth.Plan broke: a host held
// to DANE or MTA-STS without STARTTLS is refused by that policy.
func (t target) explain(err error) error {
	if t.tp == nil || !t.tp.required || !errors.Is(err, auth.ErrStartTLSRequired) {
		return err
	}
	return &policyFailure{kind: t.tp.kind, resultType: tlsrpt.ResultStartTLSNotSupported,
		msg: t.host + " does not offer STARTTLS, which its policy requires; not delivering in plaintext", err: err}
}
