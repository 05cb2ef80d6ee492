package protolog

import (
	"bytes"
	"strconv"
	"strings"
)

// AuthResponse replaces every AUTH response (and initial response) in the
// log, as in the reference system.
const AuthResponse = "<authentication response>"

// maxLine bounds a logged line; longer ones are cut (RFC 5321 allows 512
// octets for commands, go-smtp accepts 2000).
const maxLine = 4096

// dialogue follows an SMTP conversation to log it safely: it splits both
// byte streams into lines, joins multi-line replies, redacts AUTH and
// skips message bodies.
type dialogue struct {
	cl    []byte // partial client line (at most maxLine, or 2 bytes in a body)
	clLen int    // its full length so far
	sv    []byte // partial server line
	reply []byte // multi-line reply being joined
	auth  bool   // AUTH exchange open: every client line is a credential
	body  bool   // inside a DATA body, until the "." line
	skip  int64  // BDAT chunk bytes still to skip
	// pending counts client lines still waiting for their final reply;
	// dataAt is DATA's place among them (0: no DATA outstanding). A
	// pipelining client (RFC 2920) sends MAIL, RCPT and DATA at once, so
	// the first reply after DATA is MAIL's, not DATA's.
	pending int
	dataAt  int
}

func (d *dialogue) client(s *Session, p []byte) {
	for len(p) > 0 {
		if d.skip > 0 {
			n := int64(len(p))
			if n > d.skip {
				n = d.skip
			}
			d.skip -= n
			p = p[n:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		keep := maxLine
		if d.body {
			keep = 2 // enough to tell the "." line
		}
		if room := keep - len(d.cl); room > 0 {
			d.cl = append(d.cl, chunk[:min(room, len(chunk))]...)
		}
		d.clLen += len(chunk)
		if i < 0 {
			return
		}
		p = p[i+1:]
		line, n := d.cl, d.clLen
		d.cl, d.clLen = d.cl[:0], 0
		if d.body {
			if n <= 2 && string(bytes.TrimSuffix(line, []byte("\r"))) == "." {
				d.body = false
				d.pending++ // the end of data awaits its reply
			}
			continue
		}
		d.pending++
		d.clientLine(s, string(bytes.TrimSuffix(line, []byte("\r"))))
	}
}

func (d *dialogue) clientLine(s *Session, line string) {
	ev := s.clientEvent()
	verb, arg, _ := strings.Cut(line, " ")
	switch {
	case d.auth:
		s.emit(ev, AuthResponse, "")
	case strings.EqualFold(verb, "AUTH"):
		d.auth = true
		mech, ir, _ := strings.Cut(strings.TrimSpace(arg), " ")
		if ir != "" {
			line = verb + " " + mech + " " + AuthResponse
		}
		s.emit(ev, line, "")
	case strings.EqualFold(line, "DATA"):
		d.body, d.dataAt = true, d.pending
		s.emit(ev, line, "")
	case strings.EqualFold(verb, "BDAT"):
		size, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n > 0 {
			d.skip = n
		}
		s.emit(ev, line, "")
	default:
		s.emit(ev, line, "")
	}
}

func (d *dialogue) server(s *Session, p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLine - len(d.sv); room > 0 {
			d.sv = append(d.sv, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			return
		}
		p = p[i+1:]
		line := bytes.TrimSuffix(d.sv, []byte("\r"))
		d.serverLine(s, line)
		d.sv = d.sv[:0]
	}
}

// serverLine joins "250-..." continuation lines with the final "250 ..."
// into one record, space-separated, and follows the AUTH and DATA state.
func (d *dialogue) serverLine(s *Session, line []byte) {
	code, ok := replyCode(line)
	if ok && len(line) > 3 && line[3] == '-' {
		if len(d.reply) == 0 {
			d.reply = append(d.reply, line[:3]...)
		}
		if len(d.reply) < maxLine {
			d.reply = append(append(d.reply, ' '), line[4:]...)
		}
		return
	}
	text := line
	if len(d.reply) > 0 {
		if ok && len(line) > 4 {
			d.reply = append(append(d.reply, ' '), line[4:]...)
		}
		text, d.reply = d.reply, d.reply[:0]
	}
	if ok {
		d.auth = code == 334 // a challenge; any other reply ends AUTH
		if d.pending > 0 {
			d.pending--
			if d.dataAt > 0 {
				d.dataAt--
				if d.dataAt == 0 {
					d.body = d.body && code == 354
				}
			}
		}
	}
	s.emit(s.serverEvent(), string(text), "")
}

// flush logs partial lines when the connection ends.
func (d *dialogue) flush(s *Session) {
	if len(d.cl) > 0 && !d.body && d.skip == 0 {
		d.clientLine(s, string(d.cl))
	}
	d.cl, d.clLen = d.cl[:0], 0
	if len(d.sv) > 0 {
		d.serverLine(s, d.sv)
		d.sv = d.sv[:0]
	}
	if len(d.reply) > 0 {
		s.emit(s.serverEvent(), string(d.reply), "")
		d.reply = d.reply[:0]
	}
}

func replyCode(line []byte) (int, bool) {
	if len(line) < 3 || len(line) > 3 && line[3] != ' ' && line[3] != '-' {
		return 0, false
	}
	n := 0
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
