package wire

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/dsn"
)

// The parsers' errors are the replies the client should get, as
// *dsn.Reply: the status type both ends of a session share.
func newReply(code, class, subject, detail int, text string) *dsn.Reply {
	return &dsn.Reply{Code: code, Status: dsn.Status{Class: class, Subject: subject, Detail: detail}, Text: text}
}

// AppendReply appends r to b as it goes on the wire: one line per line of
// its text, "code-" on all but the last, the enhanced status code (when r
// has one) on each, CR LF after each.
func AppendReply(b []byte, r dsn.Reply) []byte {
	st, text := r.Status, r.Text
	for {
		line, more, found := strings.Cut(text, "\n")
		b = strconv.AppendInt(b, int64(r.Code), 10)
		if found {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
		}
		if st.Class != 0 {
			b = strconv.AppendInt(b, int64(st.Class), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(st.Subject), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(st.Detail), 10)
			b = append(b, ' ')
		}
		b = append(b, strings.TrimSuffix(line, "\r")...)
		b = append(b, '\r', '\n')
		if !found {
			return b
		}
		text = more
	}
}

// ErrBadReply is returned by ReadReply for a line that is not a reply
// line of RFC 5321 §4.2: three digits, then "-", a space or the line's
// end, every line of one reply with the same code.
var ErrBadReply = errors.New("wire: malformed reply")

// Bounds on one reply read by ReadReply. RFC 5321 §4.5.3.1.5 allows 512
// octets per reply line; real servers send a little more, so a line may be
// eight times that. A reply holds at most maxReplyLines lines, so a next
// hop cannot fill memory with one endless multi-line reply.
const (
	maxReplyLine  = 4096
	maxReplyLines = 512
)

// ReadReply reads one reply, as the client end of a session receives it:
// every line of a multi-line reply, the code apart, the lines' text joined
// by "\n" and the enhanced status code taken out (dsn.ParseReply). A
// client is lenient where a server is strict: a bare LF ends a reply line
// too. A malformed line fails with ErrBadReply, one too long or too many
// with ErrLineTooLong; after either the session is out of step and must be
// closed.
func ReadReply(br *bufio.Reader) (dsn.Reply, error) {
	code, text, err := ReadReplyText(br)
	if err != nil {
		return dsn.Reply{}, err
	}
	return dsn.ParseReply(code, text), nil
}

// ReadReplyText reads one reply as ReadReply does and returns its code
// and its text as sent: the lines without their codes, joined by "\n",
// enhanced status codes left in.
func ReadReplyText(br *bufio.Reader) (code int, text string, err error) {
	var b strings.Builder
	for n := 0; ; n++ {
		if n == maxReplyLines {
			return 0, "", fmt.Errorf("%w: more than %d lines in one reply", ErrLineTooLong, maxReplyLines)
		}
		line, err := ReadLine(br, maxReplyLine)
		if err != nil {
			return 0, "", err
		}
		c, last, rest, ok := replyLine(line)
		if !ok || n > 0 && c != code {
			return 0, "", fmt.Errorf("%w: %q", ErrBadReply, line)
		}
		code = c
		if n > 0 {
			b.WriteByte('\n')
		}
		b.Write(rest)
		if last {
			return code, b.String(), nil
		}
	}
}

// replyLine splits a reply line into its code, whether it is the reply's
// last line, and its text.
func replyLine(line []byte) (code int, last bool, text []byte, ok bool) {
	if len(line) < 3 {
		return 0, false, nil, false
	}
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false, nil, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code > 599 {
		return 0, false, nil, false
	}
	switch {
	case len(line) == 3:
		return code, true, nil, true
	case line[3] == ' ':
		return code, true, line[4:], true
	case line[3] == '-':
		return code, false, line[4:], true
	}
	return 0, false, nil, false
}
