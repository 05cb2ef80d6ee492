package deliver

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/emersion/go-sasl"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// ext is what the transaction needs from the server's EHLO reply.
type ext struct {
	pipelining bool
	chunking   bool     // BDAT (RFC 3030)
	maxSize    int64    // SIZE's limit (RFC 1870), 0 when none is given
	offered    wire.Ext // the extensions whose MAIL and RCPT parameters may be sent
}

// extOf reads ext from the keywords of an EHLO reply (wire.ParseEHLO).
func extOf(exts map[string]string) ext {
	o := wire.OfferOf(exts)
	// Only the parameters deliver writes: AUTH= and BODY=BINARYMIME never.
	return ext{pipelining: o.Pipelining, chunking: o.Chunking, maxSize: o.MaxSize,
		offered: o.Ext & (wire.ExtSize | wire.Ext8BitMIME | wire.ExtDSN | wire.ExtRequireTLS | wire.ExtSMTPUTF8)}
}

// errOutOfStep: after the negotiation the server had sent more than it
// was asked, so its replies could not be matched to the commands.
var errOutOfStep = errors.New("deliver: the server sent data nobody asked for; the session is out of step")

// ehlo sends EHLO (HELO if the server does not know EHLO) and returns the
// extensions of the reply, none after HELO.
func ehlo(c *chat, name string) (map[string]string, error) {
	r, err := c.cmd(250, "EHLO "+name)
	if err != nil {
		if isReply(err) && (r.Code == 500 || r.Code == 502) {
			_, err = c.cmd(250, "HELO "+name)
		}
		return map[string]string{}, err
	}
	return wire.ParseEHLO(r.Text), nil
}

// authenticate runs AUTH's SASL exchange with cl (RFC 4954 §4): base64
// responses to 334 challenges until 235. A refusal is returned as the
// server's reply, a *dsn.Reply; a challenge cl cannot answer cancels the
// exchange with "*".
func authenticate(c *chat, cl sasl.Client) error {
	mech, resp, err := cl.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if resp != nil {
		line += " " + saslText(resp)
	}
	for {
		r, err := c.cmd(0, line)
		switch {
		case err != nil:
			return err
		case r.Code == 235:
			return nil
		case r.Code != 334:
			return &r
		}
		challenge, err := base64.StdEncoding.DecodeString(r.Text)
		if err == nil {
			resp, err = cl.Next(challenge)
		}
		if err != nil {
			_, _ = c.cmd(0, "*")
			return err
		}
		line = saslText(resp)
	}
}

// saslText is a SASL response on the wire: base64, "=" when empty.
func saslText(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// quit sends QUIT and reads its reply, within the deadline already set.
func quit(c net.Conn) {
	wb := getWireBuf(c)
	defer putWireBuf(wb)
	wb.bw.WriteString("QUIT\r\n")
	if wb.bw.Flush() == nil {
		_, _ = wb.readReply()
	}
}

// wireBuf is a session's reader and writer for one transaction. The reader
// holds nothing between transactions (the server speaks only when asked),
// so both are pooled rather than kept per session.
type wireBuf struct {
	br *bufio.Reader
	bw *bufio.Writer
	// chunk holds a message bound for BDAT until it has all of it; one
	// that outgrows it goes as DATA (see txn).
	chunk *bufio.Writer
}

// wireWriteBuf holds a 4 KiB message, its commands and the terminator in
// one write; larger bodies go out in chunks of this size.
const wireWriteBuf = 32 << 10

// maxChunk is the largest message sent with BDAT: the commands, one
// "BDAT n LAST" and the message in one write, a round trip less than DATA
// needs. A larger message gains nothing worth holding it in memory for.
const maxChunk = wireWriteBuf

var wireBufs = sync.Pool{New: func() any {
	wb := &wireBuf{br: bufio.NewReaderSize(nil, 4096), bw: bufio.NewWriterSize(nil, wireWriteBuf),
		chunk: bufio.NewWriterSize(nil, maxChunk)}
	return wb
}}

func getWireBuf(c net.Conn) *wireBuf {
	wb := wireBufs.Get().(*wireBuf)
	wb.br.Reset(c)
	wb.bw.Reset(c)
	return wb
}

func putWireBuf(wb *wireBuf) {
	wb.br.Reset(nil)
	wb.bw.Reset(nil)
	wb.chunk.Reset(nil)
	wireBufs.Put(wb)
}

// readReply reads one reply, its enhanced code parsed (RFC 2034).
func (wb *wireBuf) readReply() (dsn.Reply, error) { return readReply(wb.br) }

// readReply reads one reply from br; a reply over wire's bounds is
// ErrReplyTooLong, as one over the connection's bounds is.
func readReply(br *bufio.Reader) (dsn.Reply, error) {
	r, err := wire.ReadReply(br)
	if errors.Is(err, wire.ErrLineTooLong) {
		err = fmt.Errorf("%w: %w", ErrReplyTooLong, err)
	}
	return r, err
}

// chat is the negotiation's lock-step exchange on one connection
// (greeting, EHLO, STARTTLS, AUTH): each command written and flushed, its
// reply read.
type chat struct {
	br *bufio.Reader
	bw *bufio.Writer
}

func newChat(c net.Conn) *chat {
	return &chat{br: bufio.NewReaderSize(c, 4096), bw: bufio.NewWriterSize(c, 512)}
}

// read reads one reply. A reply whose code is not want (0: any code) is
// also the error, a *dsn.Reply.
func (c *chat) read(want int) (dsn.Reply, error) {
	r, err := readReply(c.br)
	if err == nil && want != 0 && r.Code != want {
		return r, &r
	}
	return r, err
}

// cmd sends one command line and reads its reply, as read does.
func (c *chat) cmd(want int, line string) (dsn.Reply, error) {
	_, _ = c.bw.WriteString(line)
	_, _ = c.bw.WriteString("\r\n")
	if err := c.bw.Flush(); err != nil {
		return dsn.Reply{}, err
	}
	return c.read(want)
}

// mailParams are the MAIL FROM parameters a message travels with.
type mailParams struct {
	size       int64
	utf8       bool
	requireTLS bool
	ret        dsn.Ret
	envID      string // printable ASCII, or "" for none
}

// writeMail buffers MAIL FROM with the parameters the server's extensions
// allow: BODY=8BITMIME whenever it is offered, as go-smtp's client sends it.
func writeMail(bw *bufio.Writer, e ext, from string, p mailParams) error {
	m := wire.Mail{From: from, Size: p.size, SMTPUTF8: p.utf8, RequireTLS: p.requireTLS, Ret: p.ret.String(), EnvID: p.envID}
	if m.Size == 0 {
		m.Size = -1
	}
	if e.offered&wire.Ext8BitMIME != 0 {
		m.Body = wire.Body8BitMIME
	}
	b, err := wire.AppendMail(bw.AvailableBuffer(), m, e.offered)
	if err != nil {
		return err
	}
	_, err = bw.Write(b)
	return err
}

// writeRcpt buffers RCPT TO with NOTIFY and ORCPT when the server offers
// DSN (RFC 3461 §4); an ORCPT is passed on when its type is rfc822 (and
// its address printable ASCII) or utf-8 (RFC 6533).
func writeRcpt(bw *bufio.Writer, e ext, r queue.Recipient) error {
	w := wire.Rcpt{To: r.Address}
	if n := r.Notify; n != 0 {
		if n&dsn.NotifyNever != 0 {
			n = dsn.NotifyNever // NEVER stands alone (RFC 3461 §4.1)
		}
		w.Notify = n.String()
	}
	typ, addr, ok := strings.Cut(r.ORCPT, ";")
	switch {
	case !ok || addr == "":
	case strings.EqualFold(typ, "rfc822") && printableASCII(addr):
		w.ORCPTType, w.ORCPT = "rfc822", addr
	case strings.EqualFold(typ, "utf-8"):
		w.ORCPTType, w.ORCPT = "utf-8", addr
	}
	b, err := wire.AppendRcpt(bw.AvailableBuffer(), w, e.offered)
	if err != nil {
		return err
	}
	_, err = bw.Write(b)
	return err
}
