package deliver

import (
	"bufio"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-smtp"
	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

// ext is what the transaction needs from the server's EHLO reply.
type ext struct {
	pipelining, eightBit, size, dsn, requireTLS, smtpUTF8 bool
}

func extOf(c *smtp.Client) ext {
	has := func(name string) bool { ok, _ := c.Extension(name); return ok }
	return ext{pipelining: has("PIPELINING"), eightBit: has("8BITMIME"), size: has("SIZE"),
		dsn: has("DSN"), requireTLS: has("REQUIRETLS"), smtpUTF8: has("SMTPUTF8")}
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
