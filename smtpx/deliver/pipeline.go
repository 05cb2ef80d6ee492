package deliver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// The pipelined transaction (RFC 2920) is written by hand because go-smtp's
// client waits for every reply: MAIL, each RCPT and DATA go out in one
// write and their replies are read back in order, then the body follows the
// 354 in one more write. Two round trips per message instead of 3 + n, and
// a dot-stuffer that copies whole lines instead of a byte at a time.
//
// It is used when the server offers PIPELINING, the session is not
// protocol-logged, and the message needs no parameter this file does not
// encode (a UTF-8 ORCPT goes through go-smtp).
// Both paths consume every reply they cause, so they can alternate on one
// session.

// ext is what the transaction needs from the server's EHLO reply.
type ext struct {
	pipelining, eightBit, size, dsn, requireTLS, smtpUTF8 bool
}

func extOf(c *smtp.Client) ext {
	has := func(name string) bool { ok, _ := c.Extension(name); return ok }
	return ext{pipelining: has("PIPELINING"), eightBit: has("8BITMIME"), size: has("SIZE"),
		dsn: has("DSN"), requireTLS: has("REQUIRETLS"), smtpUTF8: has("SMTPUTF8")}
}

// canPipeline reports whether t may take the hand-written path.
func (t *txn) canPipeline() bool {
	if !t.cn.ext.pipelining || t.cn.nc == nil {
		return false
	}
	if _, logged := t.cn.nc.(*logConn); logged {
		// protolog follows DATA by the next reply, which pipelining makes
		// MAIL's: it would log the body. Logged sessions go in lock step.
		return false
	}
	for _, r := range t.rcpts {
		if typ, addr, ok := strings.Cut(r.ORCPT, ";"); ok && addr != "" && strings.EqualFold(typ, "utf-8") {
			return false
		}
	}
	return true
}

// pipeBuf is a session's reader and writer for one transaction. The reader
// holds nothing between transactions (the server speaks only when asked),
// so both are pooled rather than kept per session.
type pipeBuf struct {
	br *bufio.Reader
	tr textproto.Reader
	bw *bufio.Writer
}

// pipeWriteBuf holds a 4 KiB message, its commands and the terminator in
// one write; larger bodies go out in chunks of this size.
const pipeWriteBuf = 32 << 10

var pipeBufs = sync.Pool{New: func() any {
	pb := &pipeBuf{br: bufio.NewReaderSize(nil, 4096), bw: bufio.NewWriterSize(nil, pipeWriteBuf)}
	pb.tr.R = pb.br
	return pb
}}

func getPipeBuf(c net.Conn) *pipeBuf {
	pb := pipeBufs.Get().(*pipeBuf)
	pb.br.Reset(c)
	pb.bw.Reset(c)
	return pb
}

func putPipeBuf(pb *pipeBuf) {
	pb.br.Reset(nil)
	pb.bw.Reset(nil)
	pipeBufs.Put(pb)
}

// errStop aborts the firewall's copy when the server did not take DATA.
var errStop = errors.New("deliver: DATA not accepted")

// pipeline is the io.Writer the firewall writes the message to: its first
// write sends the commands and reads their replies, later writes go through
// the dot-stuffer.
type pipeline struct {
	t        *txn
	pb       *pipeBuf
	opts     *smtp.MailOptions
	results  []queue.Result
	accepted []int
	dw       dotWriter
	started  bool  // the commands were sent
	sending  bool  // the server said 354: the body is being written
	stopped  bool  // the transaction ended before the body; results are final
	err      error // connection-level failure
}

func (t *txn) runPipelined(opts *smtp.MailOptions) ([]queue.Result, error) {
	body, err := t.msg.Open()
	if err != nil { // nothing sent yet: the session stays usable
		return nil, fmt.Errorf("deliver: open message %s: %w", t.msg.ID, err)
	}
	defer body.Close()
	pb := getPipeBuf(t.cn.nc)
	defer putPipeBuf(pb)
	p := &pipeline{t: t, pb: pb, opts: opts, results: make([]queue.Result, len(t.rcpts))}
	p.dw.w = pb.bw
	removed, ferr := t.filter(p, body)
	if ferr == nil && !p.started {
		_, ferr = p.Write(nil)
	}
	switch {
	case p.err != nil:
		return t.fail(p.err)
	case p.stopped:
		return p.results, nil
	case ferr != nil && !p.started: // the header: nothing was sent
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
	_ = t.cn.nc.SetDeadline(time.Now().Add(t.d.opts.timeouts.Data))
	if err := p.dw.close(); err != nil {
		return t.fail(err)
	}
	if err := pb.bw.Flush(); err != nil {
		return t.fail(err)
	}
	code, msg, err := pb.tr.ReadResponse(0)
	if err != nil {
		return t.fail(err)
	}
	var res queue.Result
	if code == 250 {
		t.cn.messages++
		enh, text := splitReplyText(msg)
		res = t.result(250, enh, text)
	} else {
		if code == 421 {
			t.cn.broken = true
		}
		res = resultFromSMTP(replyError(code, msg), t.cn.host)
	}
	if pb.br.Buffered() > 0 { // the server said more than it was asked
		t.cn.broken = true
	}
	p.finish(res)
	return p.results, nil
}

// finish gives res to every accepted recipient.
func (p *pipeline) finish(res queue.Result) {
	t := p.t
	for _, i := range p.accepted {
		p.results[i] = res
		t.d.emit(Event{Kind: EventRecipient, Hop: t.hop, Host: t.cn.host, Addr: t.cn.addr, Recipient: t.rcpts[i].Address, Result: &p.results[i]})
	}
}

func (p *pipeline) Write(b []byte) (int, error) {
	if !p.started {
		p.started = true
		p.exchange()
		if !p.sending {
			return 0, errStop
		}
		_ = p.t.cn.nc.SetDeadline(time.Now().Add(p.t.d.opts.timeouts.Data))
	}
	if !p.sending {
		return 0, errStop
	}
	return p.dw.Write(b)
}

// exchange sends MAIL, the RCPTs and DATA in one write and reads the
// replies; it leaves p.sending set when the body may follow.
func (p *pipeline) exchange() {
	t, pb := p.t, p.pb
	cn := t.cn
	_ = cn.nc.SetDeadline(time.Now().Add(t.d.opts.timeouts.Command))
	if err := p.writeCommands(); err != nil {
		p.err = err
		return
	}
	if err := pb.bw.Flush(); err != nil {
		p.err = err
		cn.broken, t.stale = true, cn.reused
		return
	}
	code, msg, err := pb.tr.ReadResponse(0)
	if err != nil || code == 421 && cn.reused {
		// A reused session closed while idle: nothing was taken.
		if err == nil {
			err = replyError(code, msg)
		}
		p.err, cn.broken, t.stale = err, true, cn.reused
		return
	}
	var mailErr *smtp.SMTPError
	if code != 250 {
		mailErr = replyError(code, msg)
		fillInto(p.results, resultFromSMTP(mailErr, cn.host))
		if code == 421 {
			cn.broken, p.stopped = true, true
			return
		}
	}
	for i := range t.rcpts {
		code, msg, err := pb.tr.ReadResponse(0)
		if err != nil {
			p.err = err
			return
		}
		if mailErr != nil || code/10 == 25 {
			if mailErr == nil {
				p.accepted = append(p.accepted, i)
			}
			if code == 421 {
				cn.broken, p.stopped = true, true
				return
			}
			continue
		}
		p.results[i] = resultFromSMTP(replyError(code, msg), cn.host)
		t.d.emit(Event{Kind: EventRecipient, Hop: t.hop, Host: cn.host, Addr: cn.addr, Recipient: t.rcpts[i].Address, Result: &p.results[i]})
		if code == 421 {
			// Closing: the transaction is lost, so the recipients accepted
			// before and those not yet answered all get the same reply.
			for _, j := range p.accepted {
				p.results[j] = p.results[i]
			}
			fillInto(p.results[i+1:], p.results[i])
			p.accepted = nil
			cn.broken, p.stopped = true, true
			return
		}
	}
	code, msg, err = pb.tr.ReadResponse(0)
	switch {
	case err != nil:
		p.err = err
	case code == 354 && mailErr == nil && len(p.accepted) > 0:
		p.sending = true
	case code == 354:
		// DATA accepted with nothing to send: ending it would deliver an
		// empty message, so the session is dropped instead.
		cn.broken, p.stopped = true, true
	default:
		p.stopped = true
		if len(p.accepted) > 0 {
			p.finish(resultFromSMTP(replyError(code, msg), cn.host))
		}
		switch {
		case code == 421:
			cn.broken = true
		case mailErr == nil: // MAIL opened a transaction: close it
			p.reset()
		}
	}
}

// reset sends RSET in lock step; a failure only costs the session.
func (p *pipeline) reset() {
	pb := p.pb
	if _, err := pb.bw.WriteString("RSET\r\n"); err == nil {
		if err = pb.bw.Flush(); err == nil {
			if code, _, err := pb.tr.ReadResponse(0); err == nil && code == 250 {
				return
			}
		}
	}
	p.t.cn.broken = true
}

// writeCommands buffers MAIL FROM, the RCPTs and DATA with the parameters
// go-smtp's client would send for the same options and extensions.
func (p *pipeline) writeCommands() error {
	t, bw, e, o := p.t, p.pb.bw, p.t.cn.ext, p.opts
	if strings.ContainsAny(t.msg.Envelope.From, "\r\n") {
		return errors.New("deliver: CR or LF in the sender address")
	}
	bw.WriteString("MAIL FROM:<")
	bw.WriteString(t.msg.Envelope.From)
	bw.WriteByte('>')
	if e.eightBit {
		bw.WriteString(" BODY=8BITMIME")
	}
	if e.size && o.Size != 0 {
		bw.WriteString(" SIZE=")
		bw.WriteString(strconv.FormatInt(o.Size, 10))
	}
	if o.RequireTLS {
		bw.WriteString(" REQUIRETLS")
	}
	if o.UTF8 {
		bw.WriteString(" SMTPUTF8")
	}
	if e.dsn {
		if o.Return != "" {
			bw.WriteString(" RET=")
			bw.WriteString(string(o.Return))
		}
		if o.EnvelopeID != "" {
			bw.WriteString(" ENVID=")
			bw.Write(dsn.AppendXText(bw.AvailableBuffer(), o.EnvelopeID))
		}
	}
	bw.WriteString("\r\n")
	for _, r := range t.rcpts {
		if strings.ContainsAny(r.Address, "\r\n") {
			return errors.New("deliver: CR or LF in a recipient address")
		}
		bw.WriteString("RCPT TO:<")
		bw.WriteString(r.Address)
		bw.WriteByte('>')
		if e.dsn {
			ro := rcptOptions(r)
			for i, n := range ro.Notify {
				if i == 0 {
					bw.WriteString(" NOTIFY=")
				} else {
					bw.WriteByte(',')
				}
				bw.WriteString(string(n))
			}
			if ro.OriginalRecipient != "" {
				bw.WriteString(" ORCPT=rfc822;")
				bw.Write(dsn.AppendXText(bw.AvailableBuffer(), ro.OriginalRecipient))
			}
		}
		bw.WriteString("\r\n")
	}
	_, err := bw.WriteString("DATA\r\n")
	return err
}

// replyError is go-smtp's reading of a reply: an enhanced code leading the
// first line is parsed and removed from every line (RFC 2034).
func replyError(code int, msg string) *smtp.SMTPError {
	se := &smtp.SMTPError{Code: code, Message: msg}
	first, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return se
	}
	enh := parseEnhanced(first)
	if enh == (smtp.EnhancedCode{}) {
		return se
	}
	se.EnhancedCode = enh
	se.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return se
}

func fillInto(dst []queue.Result, r queue.Result) {
	for i := range dst {
		dst[i] = r
	}
}
