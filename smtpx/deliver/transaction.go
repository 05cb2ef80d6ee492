package deliver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
)

// transact runs one mail transaction on cn and gives cn back to the pool
// (or closes it). stale reports that a reused connection turned out dead
// before the server answered anything, so the caller may dial afresh.
func (d *Deliverer) transact(ctx context.Context, hop queue.NextHop, sc *connector.SendConnector, cn *conn,
	msg *queue.Message, rcpts []queue.Recipient, rights perms.Right) (res []queue.Result, err error, stale bool) {
	stop := watch(ctx, cn.raw)
	defer func() {
		if stop() {
			cn.broken = true
			if err == nil && res == nil {
				err = ctx.Err()
			}
		}
		if cn.broken {
			d.pool.close(cn, err)
			return
		}
		d.pool.put(cn, sc.SmtpMaxMessagesPerConnection(), sc.ConnectionInactivityTimeout())
	}()
	// A pooled session is only put back after a completed transaction, so
	// it is ready for MAIL: no RSET (which makes go-smtp send EHLO again,
	// two round trips per message). MAIL itself proves the session alive.
	tx := &txn{d: d, hop: hop, cn: cn, msg: msg, rcpts: rcpts, rights: rights}
	res, err = tx.run()
	if tx.stale {
		return nil, err, ctx.Err() == nil
	}
	if err != nil && ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	return res, err, false
}

// txn is one message on one session.
type txn struct {
	d      *Deliverer
	hop    queue.NextHop
	cn     *conn
	msg    *queue.Message
	rcpts  []queue.Recipient
	rights perms.Right
	stale  bool // a reused session was found closed at MAIL: nothing was sent
}

func (t *txn) result(code int, enh, text string) queue.Result {
	return queue.Result{Code: code, Enhanced: enh, Text: text, RemoteMTA: t.cn.host}
}

// fail records err as connection-level: the session is not reused.
func (t *txn) fail(err error) ([]queue.Result, error) {
	t.cn.broken = true
	return nil, err
}

// reply turns a server reply into a Result for every recipient; a 421
// means the server is closing the session.
func (t *txn) replyAll(se *smtp.SMTPError) []queue.Result {
	if se.Code == 421 {
		t.cn.broken = true
	} else {
		t.reset()
	}
	return fillResults(len(t.rcpts), resultFromSMTP(se, t.cn.host))
}

func (t *txn) reset() {
	if err := t.cn.c.Reset(); err != nil {
		t.cn.broken = true
	}
}

func (t *txn) run() ([]queue.Result, error) {
	c, env := t.cn.c, t.msg.Envelope
	if ok, v := c.Extension("SIZE"); ok {
		if limit, err := strconv.ParseInt(v, 10, 64); err == nil && limit > 0 && env.Size > limit {
			return fillResults(len(t.rcpts), t.result(552, "5.3.4",
				fmt.Sprintf("message size %d exceeds the remote server's limit %d", env.Size, limit))), nil
		}
	}
	opts, perm := t.mailOptions()
	if perm != nil {
		return fillResults(len(t.rcpts), *perm), nil
	}
	if t.canPipeline() {
		return t.runPipelined(opts)
	}
	if err := c.Mail(env.From, opts); err != nil {
		var se *smtp.SMTPError
		isReply := errors.As(err, &se)
		if t.cn.reused && (!isReply || se.Code == 421) {
			// Closed or timed out while idle: dial afresh.
			t.stale, t.cn.broken = true, true
			return nil, err
		}
		if isReply {
			return t.replyAll(se), nil
		}
		return t.fail(err)
	}
	results := make([]queue.Result, len(t.rcpts))
	var accepted []int
	for i, r := range t.rcpts {
		err := c.Rcpt(r.Address, rcptOptions(r))
		var se *smtp.SMTPError
		switch {
		case err == nil:
			accepted = append(accepted, i)
			continue
		case !errors.As(err, &se):
			return t.fail(err)
		}
		results[i] = resultFromSMTP(se, t.cn.host)
		t.d.emit(Event{Kind: EventRecipient, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Recipient: r.Address, Result: &results[i]})
		if se.Code == 421 {
			// Closing: the transaction is lost, so the recipients accepted
			// before and those not yet tried all get the same reply.
			for _, j := range accepted {
				results[j] = results[i]
			}
			for j := i + 1; j < len(t.rcpts); j++ {
				results[j] = results[i]
			}
			t.cn.broken = true
			return results, nil
		}
	}
	if len(accepted) == 0 {
		t.reset()
		return results, nil
	}
	dataRes, err := t.data()
	if err != nil {
		return nil, err
	}
	for _, i := range accepted {
		results[i] = dataRes
		t.d.emit(Event{Kind: EventRecipient, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Recipient: t.rcpts[i].Address, Result: &results[i]})
	}
	return results, nil
}

// mailOptions builds MAIL FROM's parameters, or the permanent Result when
// the hop cannot carry the message as the sender asked (RFC 6531, 8689).
func (t *txn) mailOptions() (*smtp.MailOptions, *queue.Result) {
	c, env := t.cn.c, t.msg.Envelope
	opts := &smtp.MailOptions{Size: env.Size}
	if env.SMTPUTF8 {
		offered, _ := c.Extension("SMTPUTF8")
		switch {
		case offered:
			opts.UTF8 = true
		case needsUTF8(env, t.rcpts):
			r := t.result(553, "5.6.7", "the message needs SMTPUTF8, which the remote server does not offer")
			return nil, &r
		}
	}
	if env.RequireTLS {
		offered, _ := c.Extension("REQUIRETLS")
		switch {
		case !t.cn.tls || !t.requireTLSMet():
			r := t.result(550, "5.7.10", "REQUIRETLS: "+t.requireTLSGap())
			return nil, &r
		case !offered:
			r := t.result(550, "5.7.30", "REQUIRETLS support required")
			return nil, &r
		}
		opts.RequireTLS = true
	}
	switch env.Ret {
	case dsn.RetFull:
		opts.Return = smtp.DSNReturnFull
	case dsn.RetHdrs:
		opts.Return = smtp.DSNReturnHeaders
	}
	if printableASCII(env.EnvID) {
		opts.EnvelopeID = env.EnvID
	}
	return opts, nil
}

// data sends the body through the send-side header firewall. DATA is only
// issued once the header block has been read and filtered, so a header the
// firewall cannot parse fails the message without a half-sent DATA.
func (t *txn) data() (queue.Result, error) {
	body, err := t.msg.Open()
	if err != nil {
		t.reset()
		return queue.Result{}, fmt.Errorf("deliver: open message %s: %w", t.msg.ID, err)
	}
	defer body.Close()
	lw := &lazyData{c: t.cn.c}
	removed, ferr := t.filter(lw, body)
	if ferr == nil && !lw.started {
		_, ferr = lw.Write(nil)
	}
	var se *smtp.SMTPError
	switch {
	case lw.dataErr != nil && errors.As(lw.dataErr, &se):
		t.reset()
		return resultFromSMTP(se, t.cn.host), nil
	case lw.dataErr != nil:
		t.cn.broken = true
		return queue.Result{}, lw.dataErr
	case ferr != nil && !lw.started:
		t.reset()
		if r, ok := headerFailure(ferr); ok {
			return t.result(r.Code, r.Enhanced, r.Text), nil
		}
		return queue.Result{}, ferr
	case ferr != nil: // mid-body: DATA cannot be aborted cleanly
		t.cn.broken = true
		return queue.Result{}, ferr
	}
	if len(removed) > 0 {
		t.d.emit(Event{Kind: EventHeadersStripped, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Removed: removed})
	}
	resp, err := lw.w.CloseWithResponse()
	if err != nil {
		if errors.As(err, &se) {
			if se.Code == 421 {
				t.cn.broken = true
			}
			return resultFromSMTP(se, t.cn.host), nil
		}
		t.cn.broken = true
		return queue.Result{}, err
	}
	t.cn.messages++
	enh, text := splitReplyText(resp.StatusText)
	return t.result(250, enh, text), nil
}

// headerFailure maps a firewall error on the stored message to a permanent
// Result: the stored header will never parse.
func headerFailure(err error) (queue.Result, bool) {
	var tooLarge *perms.HeaderTooLargeError
	var bad *perms.HeaderError
	switch {
	case errors.As(err, &tooLarge):
		return queue.Result{Code: 552, Enhanced: "5.3.4", Text: "message header too large: " + err.Error()}, true
	case errors.As(err, &bad):
		return queue.Result{Code: 554, Enhanced: "5.6.0", Text: "malformed message header: " + err.Error()}, true
	}
	return queue.Result{}, false
}

// lazyData issues DATA on the first write.
type lazyData struct {
	c       *smtp.Client
	w       *smtp.DataCommand
	started bool
	dataErr error
}

func (l *lazyData) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		if l.w, l.dataErr = l.c.Data(); l.dataErr != nil {
			return 0, l.dataErr
		}
	}
	if l.w == nil {
		return 0, l.dataErr
	}
	if len(p) == 0 {
		return 0, nil
	}
	return l.w.Write(p)
}

var _ io.Writer = (*lazyData)(nil)

// rcptOptions passes NOTIFY and ORCPT (go-smtp sends them only when the
// server offers DSN).
func rcptOptions(r queue.Recipient) *smtp.RcptOptions {
	opts := &smtp.RcptOptions{}
	for _, n := range []struct {
		bit dsn.Notify
		v   smtp.DSNNotify
	}{{dsn.NotifyNever, smtp.DSNNotifyNever}, {dsn.NotifySuccess, smtp.DSNNotifySuccess},
		{dsn.NotifyFailure, smtp.DSNNotifyFailure}, {dsn.NotifyDelay, smtp.DSNNotifyDelayed}} {
		if r.Notify&n.bit != 0 {
			opts.Notify = append(opts.Notify, n.v)
		}
	}
	if r.Notify&dsn.NotifyNever != 0 {
		opts.Notify = []smtp.DSNNotify{smtp.DSNNotifyNever}
	}
	typ, addr, ok := strings.Cut(r.ORCPT, ";")
	switch {
	case !ok || addr == "":
	case strings.EqualFold(typ, "rfc822") && printableASCII(addr):
		opts.OriginalRecipientType, opts.OriginalRecipient = smtp.DSNAddressTypeRFC822, addr
	case strings.EqualFold(typ, "utf-8"):
		opts.OriginalRecipientType, opts.OriginalRecipient = smtp.DSNAddressTypeUTF8, addr
	}
	return opts
}

// needsUTF8 reports whether an address of the envelope is not ASCII, so the
// message cannot travel without SMTPUTF8 (RFC 6531 §3.4).
func needsUTF8(env queue.Envelope, rcpts []queue.Recipient) bool {
	if !isASCII(env.From) {
		return true
	}
	for _, r := range rcpts {
		if !isASCII(r.Address) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// pkixValid reports whether the session's certificate chains to the trusted
// roots and names the host, as REQUIRETLS demands (RFC 8689 §4.2.1) even on
// connectors whose policy checks nothing.
func (d *Deliverer) pkixValid(cn *conn) bool {
	if cn.pkixChecked {
		return cn.pkixOK
	}
	cn.pkixChecked = true
	certs := cn.tlsState.PeerCertificates
	if len(certs) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{DNSName: cn.host, Roots: d.opts.roots, Intermediates: inter})
	cn.pkixOK = err == nil
	return cn.pkixOK
}

// requireTLSMet applies RFC 8689 §4.2.1 to the session: for DNS-routed
// mail the MX must be known through DNSSEC or MTA-STS and the certificate
// validated by DANE or PKIX (DANE or an enforced MTA-STS policy, or a
// DNSSEC-secure MX with a valid certificate); smart hosts and relays are
// configured by name, so their certificate is what counts.
func (t *txn) requireTLSMet() bool {
	if t.hop.Kind != KindDNS {
		return t.cn.verified || t.d.pkixValid(t.cn)
	}
	return t.cn.policyAuth != "" || t.cn.mxSecure && t.d.pkixValid(t.cn)
}

func (t *txn) requireTLSGap() string {
	if !t.cn.tls {
		return "no TLS session with " + t.cn.host
	}
	if t.hop.Kind == KindDNS {
		return "the TLS session with " + t.cn.host + " is authenticated by neither DANE nor MTA-STS (nor a DNSSEC-secure MX with a valid certificate)"
	}
	return "no validated TLS session with " + t.cn.host
}
