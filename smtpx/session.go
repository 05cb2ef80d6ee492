package smtpx

import (
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// session enforces one receive connector on one connection, from the
// first HELO/EHLO to STARTTLS or the end of the connection. Every error it
// returns is a bare *dsn.Reply (see Status).
type session struct {
	s      *rcServer
	sc     *serverConn
	c      *conn
	helo   string
	tls    *tls.ConnectionState
	id     auth.Identity
	user   bool // SASL login succeeded
	rights perms.Right
	// pending is the identity a SASL server reported, until saslGuard
	// has checked it; tried the user name the client gave.
	pending auth.Identity
	tried   string

	// the transaction
	inTx bool
	env  queue.Envelope
}

// newSession starts a session at HELO/EHLO (again after STARTTLS).
func newSession(sc *serverConn, helo string) (*session, error) {
	s := &session{s: sc.s, sc: sc, c: sc.c, tls: sc.tls}
	if err := s.greet(helo); err != nil {
		return nil, err
	}
	s.setIdentity(s.initialIdentity())
	return s, nil
}

// greet checks a HELO/EHLO name and ends any open transaction.
func (s *session) greet(helo string) *dsn.Reply {
	if s.c.isDraining() {
		s.c.closeAfterReply()
		return replyShuttingDown
	}
	if s.s.rc.RequireEHLODomain() && !validHelo(helo) {
		// The reference system closes the connection.
		s.c.closeAfterReply()
		return replyBadEHLO
	}
	s.reset()
	s.helo = helo
	return nil
}

// initialIdentity is the principal before any AUTH: Externally Secured on
// an ExternalAuthoritative connector, a transport server after mutual TLS
// with a trusted certificate, anonymous otherwise.
func (s *session) initialIdentity() auth.Identity {
	mech := s.s.rc.AuthMechanism()
	if mech.Has(auth.ExternalAuthoritative) {
		return auth.ExternallySecuredIdentity()
	}
	v := s.s.t.opts.verifier
	if s.tls == nil || v == nil || !mech.Has(auth.ExchangeServer) || len(s.tls.PeerCertificates) == 0 {
		return auth.AnonymousIdentity()
	}
	id, err := v.Verify(*s.tls)
	s.trace(Event{Kind: EventAuth, Principal: id.Principal, Detail: "ExchangeServer", Err: err})
	if err != nil {
		s.s.t.log.Info("smtpx: client certificate not trusted", "session", s.c.id, "err", err)
		return auth.AnonymousIdentity()
	}
	return id
}

func (s *session) setIdentity(id auth.Identity) {
	s.id, s.rights = id, s.s.rc.Rights(id.Principals()...)
}

// authenticated reports a session that proved who it is (tarpits spare it).
func (s *session) authenticated() bool { return s.id.Mechanism != "" }

// validHelo accepts a domain or an address literal (RFC 5321 §4.1.1.1).
func validHelo(h string) bool {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		lit := strings.TrimPrefix(h[1:len(h)-1], "IPv6:")
		_, err := netip.ParseAddr(lit)
		return err == nil
	}
	_, err := addrspace.CanonicalDomain(h)
	return err == nil && strings.Contains(h, ".")
}

// gate refuses commands while the server drains.
func (s *session) gate() error {
	if s.c.isDraining() {
		s.c.closeAfterReply()
		return replyShuttingDown
	}
	return nil
}

// authMechanisms is called for each EHLO reply: exactly auth.Offer's SASL
// list for the current state, or none without an Authenticator.
func (s *session) authMechanisms() []string {
	if s.s.t.opts.authn == nil {
		return nil
	}
	return auth.Offer(s.s.rc.AuthMechanism(), s.authState()).SASL
}

func (s *session) authState() auth.State {
	return auth.State{TLS: s.tls != nil, Authenticated: s.user}
}

// auth starts a SASL exchange after auth.CheckAuthAllowed.
func (s *session) auth(mech string) (sasl.Server, error) {
	if err := s.gate(); err != nil {
		return nil, err
	}
	err := auth.CheckAuthAllowed(s.s.rc.AuthMechanism(), s.authState())
	a := s.s.t.opts.authn
	if err == nil && a == nil {
		err = auth.ErrAuthNotOffered
	}
	if err != nil {
		return nil, Status(err)
	}
	s.pending, s.tried = auth.Identity{}, ""
	done := func(id auth.Identity) { s.pending = id }
	ctx := s.s.t.ctx
	a = noteUser{a, &s.tried}
	switch strings.ToUpper(mech) {
	case auth.MechPlain:
		return &saslGuard{s: s, mech: auth.MechPlain, inner: auth.NewPlainServer(ctx, a, done)}, nil
	case auth.MechLogin:
		return &saslGuard{s: s, mech: auth.MechLogin, inner: auth.NewLoginServer(ctx, a, done)}, nil
	}
	return nil, replyAuthNotOffered
}

// saslGuard maps SASL outcomes to replies: bad credentials are 535 5.7.8,
// counted as logon failures and tarpitted; an identity without Submit on
// this connector fails too (without Submit, AUTH fails).
type saslGuard struct {
	s     *session
	mech  string
	inner sasl.Server
}

// noteUser records the user name a SASL server asks about, for the log
// line of a refused logon (the password is never kept).
type noteUser struct {
	auth.Authenticator
	user *string
}

func (n noteUser) Authenticate(ctx context.Context, username, password string) (auth.Identity, error) {
	*n.user = username
	return n.Authenticator.Authenticate(ctx, username, password)
}

// logonRefused logs a refused logon at info level: who tried, from where.
func (g *saslGuard) logonRefused(why string) {
	s := g.s
	s.s.t.log.Info("smtpx: logon refused", "user", s.tried, "mechanism", g.mech, "remote", s.c.remote.Addr().String(),
		"connector", s.s.rc.Name(), "session", s.c.id, "reason", why)
}

func (g *saslGuard) Next(resp []byte) ([]byte, bool, error) {
	s := g.s
	challenge, done, err := g.inner.Next(resp)
	switch {
	case err != nil:
		s.trace(Event{Kind: EventAuth, Err: err})
		if errors.Is(err, auth.ErrInvalidCredentials) {
			g.logonRefused("invalid credentials")
			return nil, false, replyAuthFailed
		}
		if errors.Is(err, auth.ErrMalformedResponse) {
			return nil, false, replyAuthMalformed
		}
		return nil, false, replyAuthTemp
	case done:
		id := s.pending
		if !s.s.rc.Rights(id.Principals()...).Has(perms.Submit) {
			s.trace(Event{Kind: EventAuth, Principal: id.Principal, Err: errNoSubmit})
			g.logonRefused("no Submit right on this connector")
			return nil, false, replyAuthNoSubmit
		}
		s.user = true
		s.setIdentity(id)
		s.trace(Event{Kind: EventAuth, Principal: id.Principal, Detail: id.Mechanism})
	}
	return challenge, done, nil
}

var errNoSubmit = errors.New("smtpx: principal lacks Ms-Exch-SMTP-Submit on this connector")

// mail checks TLS, the Submit right, the sender and SIZE
// and opens a transaction.
func (s *session) mail(m wire.Mail) error {
	if err := s.gate(); err != nil {
		return err
	}
	if err := s.pressureRefusal(); err != nil {
		return err
	}
	rc := s.s.rc
	from := m.From
	if rc.RequireTLS() && s.tls == nil {
		return replyMustStartTLS
	}
	if !s.rights.Has(perms.Submit) {
		return replyNotAuthenticated
	}
	if !m.SMTPUTF8 && !wire.IsASCII(from) {
		return replyNeedSMTPUTF8
	}
	if from != "" {
		domain, err := addrspace.RecipientDomain(from)
		if err != nil || strings.Count(from, "@") != 1 {
			return replyBadSender
		}
		canonical, ok := canonicalSender(from, domain)
		if !ok {
			return replyBadSender
		}
		if r := s.checkSender(domain); r != nil {
			return r
		}
		from = canonical
	}
	if m.Size > rc.MaxMessageSize() && !s.rights.Has(perms.BypassMessageSizeLimit) {
		return replyTooBig
	}
	if !s.c.beginTx(&s.s.t.txWG) {
		s.c.closeAfterReply()
		return replyShuttingDown
	}
	s.inTx = true
	s.env = queue.Envelope{From: from, ReceiveConnector: rc.Name(), Principal: s.principalName(),
		SMTPUTF8: m.SMTPUTF8, RequireTLS: m.RequireTLS, EightBitMIME: m.Body == wire.Body8BitMIME, EnvID: m.EnvID}
	if m.Ret != "" { // most MAILs carry no RET: no error to build and drop
		s.env.Ret, _ = dsn.ParseRet(m.Ret)
	}
	return nil
}

// checkSender refuses a sender in an authoritative accepted domain unless
// the session holds Accept-Authoritative-Domain-Sender or logged in as a
// user (whose right to send as the address is a mailbox matter, not
// modelled). Accept-Any-Sender does not lift this check: removing
// Accept-Authoritative-Domain-Sender from ANONYMOUS LOGON, which keeps
// Accept-Any-Sender, is the reference system's standard anti-spoofing step
// (connector.ReceiveConfig.DenyAnonymousAuthoritativeSender).
func (s *session) checkSender(domain string) *dsn.Reply {
	ad, ok := s.s.g.domains.Match(domain)
	if !ok || ad.Type != routing.Authoritative {
		return nil
	}
	if s.rights.Has(perms.AcceptAuthoritativeDomainSender) || s.user {
		return nil
	}
	return replySendAs
}

func (s *session) principalName() string {
	if s.id.Mechanism == "" {
		return ""
	}
	return string(s.id.Principal)
}

// rcpt applies the relay rules; serverConn enforces
// MaxRecipientsPerMessage (452 4.5.3) before calling it.
func (s *session) rcpt(rc wire.Rcpt) error {
	if !s.env.SMTPUTF8 && !wire.IsASCII(rc.To) {
		return replyNeedSMTPUTF8
	}
	addr, domain, trick, ok := canonicalRecipient(rc.To)
	if !ok {
		return replyBadRecipient
	}
	relay := s.rights.Has(perms.AcceptAnyRecipient)
	ad, accepted := s.s.g.domains.Match(domain)
	switch {
	case trick && !relay:
		// %-hack, bang path or a quoted '@': never judged by the visible
		// domain, so never relayed by accident.
		return replyUnableToRelay
	case accepted && ad.Type == routing.Authoritative:
		if r := s.checkLocal(addr); r != nil {
			return r
		}
	case !accepted && !relay:
		return replyUnableToRelay
	}
	r := queue.Recipient{Address: addr}
	if rc.Notify != "" {
		r.Notify, _ = dsn.ParseNotify(rc.Notify)
	}
	if rc.ORCPT != "" {
		r.ORCPT = strings.ToLower(rc.ORCPTType) + ";" + rc.ORCPT
	}
	s.env.Recipients = append(s.env.Recipients, r)
	return nil
}

// checkLocal asks, for a recipient of an authoritative domain, the
// RecipientChecker whether it can be delivered, so that mail it would
// bounce is refused now rather than turned into backscatter.
func (s *session) checkLocal(addr string) error {
	c := s.s.t.opts.recipients
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.s.t.ctx, min(directoryTimeout, s.s.rc.ConnectionInactivityTimeout()))
	defer cancel()
	err := c.CheckRecipient(ctx, addr)
	var carried interface{ Reply() dsn.Reply }
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInvalidRecipient):
		return replyUndeliverable
	case errors.Is(err, ErrUnknownRecipient):
		return replyUserUnknown
	case errors.As(err, &carried) && carried.Reply().Code >= 400:
		r := carried.Reply()
		return &r
	}
	s.s.t.log.Warn("smtpx: recipient check failed", "session", s.c.id, "err", err)
	return replyDirectory
}

// directoryTimeout bounds one RCPT-time check (checkLocal); the
// connector's inactivity timeout bounds it further, as the client waits
// for the reply. A RecipientChecker must honour its context for the bound
// to hold.
const directoryTimeout = 30 * time.Second

// reset discards the transaction (RSET, EHLO, after the DATA reply).
func (s *session) reset() {
	s.inTx = false
	s.env = queue.Envelope{}
	s.c.endTx(&s.s.t.txWG)
}

// logout ends the session (connection closed, or STARTTLS).
func (s *session) logout() {
	s.c.endTx(&s.s.t.txWG)
}

func (s *session) trace(e Event) {
	e.Connector = s.s.rc.Name()
	e.Session = s.c.id
	e.Remote = s.c.remote
	if e.Principal == "" && e.Kind != EventAuth {
		e.Principal = s.id.Principal
	}
	s.s.t.emit(e)
}

// now is the server clock's time.
func (s *session) now() time.Time { return s.s.t.opts.clock.Now() }
