package deliver

import (
	"bufio"
	"encoding/base64"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// ext is what the transaction needs from the server's EHLO reply.
type ext struct {
	pipelining, eightBit, size, dsn, requireTLS, smtpUTF8 bool
	maxSize                                               int64 // SIZE's limit (RFC 1870), 0 when none is given
}

// extOf reads ext from the keywords of an EHLO reply (see parseEHLO).
func extOf(exts map[string]string) ext {
	has := func(name string) bool { _, ok := exts[name]; return ok }
	e := ext{pipelining: has("PIPELINING"), eightBit: has("8BITMIME"), size: has("SIZE"),
		dsn: has("DSN"), requireTLS: has("REQUIRETLS"), smtpUTF8: has("SMTPUTF8")}
	if n, err := strconv.ParseInt(exts["SIZE"], 10, 64); err == nil && n > 0 {
		e.maxSize = n
	}
	return e
}

// errOutOfStep: after the negotiation the server had sent more than it
// was asked, so its replies could not be matched to the commands.
var errOutOfStep = errors.New("deliver: the server sent data nobody asked for; the session is out of step")

// ehlo sends EHLO (HELO if the server does not know EHLO) and returns the
// extensions of the reply, none after HELO.
func ehlo(tp *textproto.Conn, name string) (map[string]string, error) {
	code, msg, err := cmdRaw(tp, 250, "EHLO %s", name)
	if err != nil {
		var pe *textproto.Error
		if errors.As(err, &pe) && (code == 500 || code == 502) {
			_, _, err = cmdRaw(tp, 250, "HELO %s", name)
		}
		return map[string]string{}, err
	}
	return parseEHLO(msg), nil
}

// authenticate runs AUTH's SASL exchange with cl (RFC 4954 §4): base64
// responses to 334 challenges until 235. A refusal is returned as the
// server's reply, a *dsn.Reply; a challenge cl cannot answer cancels the
// exchange with "*".
func authenticate(tp *textproto.Conn, cl sasl.Client) error {
	mech, resp, err := cl.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if resp != nil {
		line += " " + saslText(resp)
	}
	for {
		code, msg, err := cmdRaw(tp, 0, "%s", line)
		switch {
		case err != nil:
			return err
		case code == 235:
			return nil
		case code != 334:
			r := dsn.ParseReply(code, msg)
			return &r
		}
		challenge, err := base64.StdEncoding.DecodeString(msg)
		if err == nil {
			resp, err = cl.Next(challenge)
		}
		if err != nil {
			_, _, _ = cmdRaw(tp, 0, "*")
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
	tr textproto.Reader
	bw *bufio.Writer
}

// wireWriteBuf holds a 4 KiB message, its commands and the terminator in
// one write; larger bodies go out in chunks of this size.
const wireWriteBuf = 32 << 10

var wireBufs = sync.Pool{New: func() any {
	wb := &wireBuf{br: bufio.NewReaderSize(nil, 4096), bw: bufio.NewWriterSize(nil, wireWriteBuf)}
	wb.tr.R = wb.br
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
	wireBufs.Put(wb)
}

// readReply reads one reply, its enhanced code parsed (RFC 2034).
func (wb *wireBuf) readReply() (dsn.Reply, error) {
	code, msg, err := wb.tr.ReadResponse(0)
	if err != nil {
		return dsn.Reply{}, err
	}
	return dsn.ParseReply(code, msg), nil
}

// mailParams are the MAIL FROM parameters a message travels with.
type mailParams struct {
	size       int64
	utf8       bool
	requireTLS bool
	ret        dsn.Ret
	envID      string // printable ASCII, or "" for none
}

var (
	errCRLFSender    = errors.New("deliver: CR or LF in the sender address")
	errCRLFRecipient = errors.New("deliver: CR or LF in a recipient address")
)

// writeMail buffers MAIL FROM with the parameters the server's extensions
// allow (RFC 1870 SIZE, RFC 6152 BODY, RFC 8689, RFC 6531, RFC 3461).
func writeMail(bw *bufio.Writer, e ext, from string, p mailParams) error {
	if strings.ContainsAny(from, "\r\n") {
		return errCRLFSender
	}
	bw.WriteString("MAIL FROM:<")
	bw.WriteString(from)
	bw.WriteByte('>')
	if e.eightBit {
		bw.WriteString(" BODY=8BITMIME")
	}
	if e.size && p.size != 0 {
		bw.WriteString(" SIZE=")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), p.size, 10))
	}
	if p.requireTLS {
		bw.WriteString(" REQUIRETLS")
	}
	if p.utf8 {
		bw.WriteString(" SMTPUTF8")
	}
	if e.dsn {
		if r := p.ret.String(); r != "" {
			bw.WriteString(" RET=")
			bw.WriteString(r)
		}
		if p.envID != "" {
			bw.WriteString(" ENVID=")
			bw.Write(dsn.AppendXText(bw.AvailableBuffer(), p.envID))
		}
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// writeRcpt buffers RCPT TO with NOTIFY and ORCPT when the server offers
// DSN (RFC 3461 §4; RFC 6533 for an ORCPT of type utf-8).
func writeRcpt(bw *bufio.Writer, e ext, r queue.Recipient) error {
	if strings.ContainsAny(r.Address, "\r\n") {
		return errCRLFRecipient
	}
	bw.WriteString("RCPT TO:<")
	bw.WriteString(r.Address)
	bw.WriteByte('>')
	if e.dsn {
		writeNotify(bw, r.Notify)
		typ, addr, ok := strings.Cut(r.ORCPT, ";")
		switch {
		case !ok || addr == "":
		case strings.EqualFold(typ, "rfc822") && printableASCII(addr):
			bw.WriteString(" ORCPT=rfc822;")
			bw.Write(dsn.AppendXText(bw.AvailableBuffer(), addr))
		case strings.EqualFold(typ, "utf-8"):
			bw.WriteString(" ORCPT=utf-8;")
			bw.Write(appendUTF8Addr(bw.AvailableBuffer(), addr, e.smtpUTF8))
		}
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// writeNotify writes NOTIFY=NEVER alone, or the list of conditions asked.
func writeNotify(bw *bufio.Writer, n dsn.Notify) {
	if n&dsn.NotifyNever != 0 {
		bw.WriteString(" NOTIFY=NEVER")
		return
	}
	sep := " NOTIFY="
	for _, c := range []struct {
		bit  dsn.Notify
		word string
	}{{dsn.NotifySuccess, "SUCCESS"}, {dsn.NotifyFailure, "FAILURE"}, {dsn.NotifyDelay, "DELAY"}} {
		if n&c.bit != 0 {
			bw.WriteString(sep)
			bw.WriteString(c.word)
			sep = ","
		}
	}
}

// appendUTF8Addr encodes an ORCPT address of type utf-8 (RFC 6533 §3):
// printable ASCII but "+" and "=" as it is, other characters as
// "\x{HEX}", except that non-ASCII characters stay UTF-8 when the server
// offers SMTPUTF8 (utf-8-addr-unitext). A byte that is not UTF-8 becomes
// U+FFFD.
func appendUTF8Addr(dst []byte, s string, unitext bool) []byte {
	for _, c := range s {
		switch {
		case c >= '!' && c <= '~' && c != '+' && c != '=':
			dst = append(dst, byte(c))
		case c >= utf8.RuneSelf && c != utf8.RuneError && unitext:
			dst = utf8.AppendRune(dst, c)
		default:
			dst = append(dst, `\x{`...)
			if c < 0x10 {
				dst = append(dst, '0')
			}
			dst = append(dst, strings.ToUpper(strconv.FormatInt(int64(c), 16))...)
			dst = append(dst, '}')
		}
	}
	return dst
}
