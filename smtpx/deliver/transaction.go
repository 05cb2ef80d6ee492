package deliver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
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

// txn is one message on one session, and the client's one transaction
// engine: it writes the commands itself, since go-smtp's client waits for
// every reply. With PIPELINING (RFC 2920) MAIL, the RCPTs and DATA go out
// in one write and their replies are read back in order, then the body
// follows the 354 in one more write: two round trips per message instead
// of 3 + n. When the server also offers CHUNKING (RFC 3030), a message of
// up to maxChunk is gathered first and goes with the commands as one
// "BDAT n LAST": one round trip, and no dot-stuffing on either side. A
// larger one goes as DATA. Without PIPELINING, or on a protocol-logged
// session, each command is flushed and answered before the next. Every
// reply the transaction causes is read, so the session can carry the next
// message.
type txn struct {
	d      *Deliverer
	hop    queue.NextHop
	cn     *conn
	msg    *queue.Message
	rcpts  []queue.Recipient
	rights perms.Right
	stale  bool // a reused session was found closed at MAIL: nothing was taken

	pipelined bool
	wb        *wireBuf
	params    mailParams
	results   []queue.Result
	accepted  []int // recipients the server took, waiting for DATA's outcome
	dw        wire.DotWriter
	gather    wire.DotWriter // with chunked: the message into wb.chunk
	chunked   bool           // the message is being gathered for BDAT
	lastChunk bool           // wb.chunk is flushing into "BDAT n LAST"
	mailFail  bool           // MAIL was refused (the pipelined RCPTs and DATA still answer)
	started   bool           // the commands were sent
	sending   bool           // the server said 354: the body is being written
	stopped   bool           // the transaction ended before the body; results are final
	err       error          // connection-level failure
}

// errStop aborts the firewall's copy when the server did not take DATA.
var errStop = errors.New("deliver: DATA not accepted")

func (t *txn) result(code int, enh, text string) queue.Result {
	return queue.Result{Code: code, Enhanced: enh, Text: text, RemoteMTA: t.cn.host}
}

func (t *txn) resultOf(r dsn.Reply) queue.Result { return queue.ResultOf(r, t.cn.host) }

// fail records err as connection-level: the session is not reused.
func (t *txn) fail(err error) ([]queue.Result, error) {
	t.cn.broken = true
	return nil, err
}

func (t *txn) run() ([]queue.Result, error) {
	env := t.msg.Envelope
	if limit := t.cn.ext.maxSize; limit > 0 && env.Size > limit {
		return fillResults(len(t.rcpts), t.result(552, "5.3.4",
			fmt.Sprintf("message size %d exceeds the remote server's limit %d", env.Size, limit))), nil
	}
	params, perm := t.mailParams()
	if perm != nil {
		return fillResults(len(t.rcpts), *perm), nil
	}
	body, err := t.msg.Open()
	if err != nil { // nothing sent yet: the session stays usable
		return nil, fmt.Errorf("deliver: open message %s: %w", t.msg.ID, err)
	}
	defer body.Close()
	t.wb = getWireBuf(t.cn.nc)
	defer putWireBuf(t.wb)
	t.params, t.pipelined = params, t.canPipeline()
	t.results = make([]queue.Result, len(t.rcpts))
	t.dw.Reset(t.wb.bw)
	if t.pipelined && t.cn.ext.chunking {
		t.chunked = true
		t.wb.chunk.Reset(chunkSpill{t})
		t.gather.ResetChunk(t.wb.chunk)
	}
	// The commands go out on the firewall's first write, once the header
	// block has been read and filtered: a header the firewall cannot parse
	// fails the message before anything is sent.
	removed, ferr := t.filter(t, body)
	if ferr == nil && t.chunked {
		// The last line end, which may yet make it outgrow the chunk.
		if ferr = t.gather.Close(); ferr == nil && !t.chunked {
			ferr = t.wb.chunk.Flush()
		}
	}
	if ferr == nil && !t.started && !t.chunked {
		_, ferr = t.Write(nil)
	}
	switch {
	case t.err != nil:
		return t.fail(t.err)
	case t.stopped:
		return t.results, nil
	case ferr != nil && !t.started:
		if r, ok := headerFailure(ferr); ok {
			return fillResults(len(t.rcpts), t.result(r.Code, r.Enhanced, r.Text)), nil
		}
		return nil, ferr
	case ferr != nil: // mid-body: DATA cannot be aborted cleanly
		return t.fail(ferr)
	}
	if len(removed) > 0 {
		t.d.emit(Event{Kind: EventHeadersStripped, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Removed: removed})
	}
	if t.chunked {
		return t.endChunk()
	}
	return t.endData()
}

// canPipeline reports whether the commands may go out together.
func (t *txn) canPipeline() bool {
	// protolog follows DATA by the next reply, which pipelining makes
	// MAIL's: it would log the body. Logged sessions go in lock step.
	_, logged := t.cn.nc.(*logConn)
	return t.cn.ext.pipelining && !logged
}

// Write is what the firewall writes the message to. While the message is
// gathered for BDAT it goes into the chunk; otherwise the first call sends
// the commands and reads their replies, and later ones go through the
// dot-stuffer.
func (t *txn) Write(b []byte) (int, error) {
	if t.chunked {
		n, err := t.gather.Write(b)
		if err == nil && !t.chunked { // it outgrew the chunk: the rest follows
			err = t.wb.chunk.Flush()
		}
		return n, err
	}
	if !t.started {
		t.started = true
		t.exchange()
	}
	if !t.sending {
		return 0, errStop
	}
	return t.dw.Write(b)
}

// reply flushes what is buffered, giving the server timeout to answer
// it, and reads the next reply.
func (t *txn) reply(timeout time.Duration) (dsn.Reply, error) {
	if t.wb.bw.Buffered() > 0 {
		_ = t.cn.nc.SetDeadline(time.Now().Add(timeout))
		if err := t.wb.bw.Flush(); err != nil {
			return dsn.Reply{}, err
		}
	}
	return t.wb.readReply()
}

// chunkSpill is where wb.chunk flushes: into "BDAT n LAST" once the
// message is whole, and before that only when the message outgrew it, which
// sends the commands with DATA instead, the chunk so far its start.
type chunkSpill struct{ t *txn }

func (c chunkSpill) Write(p []byte) (int, error) {
	t := c.t
	if t.lastChunk {
		return t.wb.bw.Write(p)
	}
	if t.chunked {
		t.chunked, t.started = false, true
		t.exchange()
	}
	if !t.sending {
		return 0, errStop
	}
	return t.dw.Write(p)
}

// exchange sends MAIL, the RCPTs and DATA (together or one by one) and
// reads their replies; it leaves t.sending set when the body may follow.
func (t *txn) exchange() {
	if !t.commands(false) {
		return
	}
	if !t.pipelined {
		if len(t.accepted) == 0 {
			t.stopped = true
			t.reset()
			return
		}
		t.wb.bw.WriteString("DATA\r\n")
	}
	t.dataReply()
}

// commands sends MAIL and, pipelined, the RCPTs and then DATA or (chunk)
// the gathered message as "BDAT n LAST", and reads the replies of MAIL and
// the RCPTs; false when the transaction ended there.
func (t *txn) commands(chunk bool) bool {
	cn, bw, cmdTO := t.cn, t.wb.bw, t.d.opts.timeouts.Command
	if t.err = writeMail(bw, cn.ext, t.msg.Envelope.From, t.params); t.err != nil {
		return false
	}
	if t.pipelined {
		for _, r := range t.rcpts {
			if t.err = writeRcpt(bw, cn.ext, r); t.err != nil {
				return false
			}
		}
		if chunk {
			t.writeChunk()
		} else {
			bw.WriteString("DATA\r\n")
		}
	}
	mail, err := t.reply(cmdTO)
	if err != nil || mail.Closing() && cn.reused {
		// A reused session closed while idle: nothing was taken.
		if err == nil {
			err = &mail
		}
		t.err, cn.broken, t.stale = err, true, cn.reused
		return false
	}
	if mail.Code != 250 {
		fillInto(t.results, t.resultOf(mail))
		t.mailFail = true
		if mail.Closing() || !t.pipelined { // nothing else is coming
			cn.broken, t.stopped = cn.broken || mail.Closing(), true
			return false
		}
	}
	return t.rcptReplies()
}

// writeChunk buffers "BDAT n LAST" and the gathered message.
func (t *txn) writeChunk() {
	var num [20]byte
	bw := t.wb.bw
	bw.WriteString("BDAT ")
	bw.Write(strconv.AppendInt(num[:0], int64(t.wb.chunk.Buffered()), 10))
	bw.WriteString(" LAST\r\n")
	t.lastChunk = true
	_ = t.wb.chunk.Flush() // into bw, whose error the flush in reply returns
}

// endChunk sends the commands and the gathered message in one write and
// gives BDAT's reply to the accepted recipients.
func (t *txn) endChunk() ([]queue.Result, error) {
	t.started = true
	if !t.commands(true) {
		if t.err != nil {
			return t.fail(t.err)
		}
		return t.results, nil // the server is closing: the session goes
	}
	rep, err := t.reply(t.d.opts.timeouts.Data)
	if err != nil {
		return t.fail(err)
	}
	switch {
	case rep.Closing():
		t.cn.broken = true
	case rep.Code == 250 && len(t.accepted) > 0 && !t.mailFail:
		t.cn.messages++
	case rep.Code == 250: // a message with no recipient taken: out of step
		t.cn.broken = true
	case !t.mailFail: // the chunk failed the transaction MAIL opened: close it
		t.reset()
	}
	if !t.mailFail && len(t.accepted) > 0 {
		t.finish(t.resultOf(rep))
	}
	if t.wb.br.Buffered() > 0 { // the server said more than it was asked
		t.cn.broken = true
	}
	return t.results, nil
}

// rcptReplies reads each RCPT's reply (sending the RCPT first in lock
// step); false when the transaction ended there.
func (t *txn) rcptReplies() bool {
	cn := t.cn
	for i, r := range t.rcpts {
		if !t.pipelined {
			if t.err = writeRcpt(t.wb.bw, cn.ext, r); t.err != nil {
				return false
			}
		}
		rep, err := t.reply(t.d.opts.timeouts.Command)
		switch {
		case err != nil:
			t.err = err
			return false
		case t.mailFail:
			// Answers to RCPTs behind a refused MAIL mean nothing.
		case rep.Code/10 == 25:
			t.accepted = append(t.accepted, i)
		default:
			t.results[i] = t.resultOf(rep)
			t.emitRecipient(i)
		}
		if rep.Closing() {
			// Closing: the transaction is lost, so the recipients accepted
			// before and those not yet answered all get the same reply.
			if !t.mailFail {
				for _, j := range t.accepted {
					t.results[j] = t.results[i]
				}
				fillInto(t.results[i+1:], t.results[i])
			}
			t.accepted = nil
			cn.broken, t.stopped = true, true
			return false
		}
	}
	return true
}

// dataReply reads DATA's reply.
func (t *txn) dataReply() {
	cn := t.cn
	rep, err := t.reply(t.d.opts.timeouts.Command)
	switch {
	case err != nil:
		t.err = err
	case rep.Code == 354 && !t.mailFail && len(t.accepted) > 0:
		t.sending = true
		_ = cn.nc.SetDeadline(time.Now().Add(t.d.opts.timeouts.Data))
	case rep.Code == 354:
		// DATA accepted with nothing to send: ending it would deliver an
		// empty message, so the session is dropped instead.
		cn.broken, t.stopped = true, true
	default:
		t.stopped = true
		if len(t.accepted) > 0 {
			t.finish(t.resultOf(rep))
		}
		switch {
		case rep.Closing():
			cn.broken = true
		case !t.mailFail: // MAIL opened a transaction: close it
			t.reset()
		}
	}
}

// endData ends the body and gives its reply to the accepted recipients.
func (t *txn) endData() ([]queue.Result, error) {
	if err := t.dw.Close(); err != nil {
		return t.fail(err)
	}
	rep, err := t.reply(t.d.opts.timeouts.Data)
	if err != nil {
		return t.fail(err)
	}
	switch {
	case rep.Code == 250:
		t.cn.messages++
	case rep.Closing():
		t.cn.broken = true
	}
	if t.wb.br.Buffered() > 0 { // the server said more than it was asked
		t.cn.broken = true
	}
	t.finish(t.resultOf(rep))
	return t.results, nil
}

// finish gives res to every accepted recipient.
func (t *txn) finish(res queue.Result) {
	for _, i := range t.accepted {
		t.results[i] = res
		t.emitRecipient(i)
	}
}

func (t *txn) emitRecipient(i int) {
	t.d.emit(Event{Kind: EventRecipient, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Recipient: t.rcpts[i].Address, Result: &t.results[i]})
}

// reset sends RSET in lock step; a failure only costs the session.
func (t *txn) reset() {
	t.wb.bw.WriteString("RSET\r\n")
	if rep, err := t.reply(t.d.opts.timeouts.Command); err != nil || rep.Code != 250 {
		t.cn.broken = true
	}
}

// mailParams are MAIL FROM's parameters, or the permanent Result when the
// hop cannot carry the message as the sender asked (RFC 6531, 8689).
func (t *txn) mailParams() (mailParams, *queue.Result) {
	env := t.msg.Envelope
	p := mailParams{size: env.Size, ret: env.Ret}
	if env.SMTPUTF8 {
		switch {
		case t.cn.ext.offered&wire.ExtSMTPUTF8 != 0:
			p.utf8 = true
		case needsUTF8(env, t.rcpts):
			r := t.result(553, "5.6.7", "the message needs SMTPUTF8, which the remote server does not offer")
			return p, &r
		}
	}
	if env.RequireTLS {
		switch {
		case !t.cn.tls || !t.requireTLSMet():
			r := t.result(550, "5.7.10", "REQUIRETLS: "+t.requireTLSGap())
			return p, &r
		case t.cn.ext.offered&wire.ExtRequireTLS == 0:
			r := t.result(550, "5.7.30", "REQUIRETLS support required")
			return p, &r
		}
		p.requireTLS = true
	}
	if printableASCII(env.EnvID) {
		p.envID = env.EnvID
	}
	return p, nil
}

func fillInto(dst []queue.Result, r queue.Result) {
	for i := range dst {
		dst[i] = r
	}
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

// needsUTF8 reports whether an address of the envelope is not ASCII, so the
// message cannot travel without SMTPUTF8 (RFC 6531 §3.4).
func needsUTF8(env queue.Envelope, rcpts []queue.Recipient) bool {
	if !wire.IsASCII(env.From) {
		return true
	}
	for _, r := range rcpts {
		if !wire.IsASCII(r.Address) {
			return true
		}
	}
	return false
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
