package wire

import (
	"strconv"
	"strings"
)

// Reply is an SMTP reply: a code, an optional RFC 3463 enhanced status
// code (zero Class: none) and text. It is the error type of the parsers,
// carrying the reply the client should get.
type Reply struct {
	Code                   int
	Class, Subject, Detail int
	Text                   string
}

func (r *Reply) Error() string {
	return string(AppendReply(nil, r.Code, r.Class, r.Subject, r.Detail, r.Text))
}

func newReply(code, class, subject, detail int, text string) *Reply {
	return &Reply{Code: code, Class: class, Subject: subject, Detail: detail, Text: text}
}

// AppendReply appends a reply to b as it goes on the wire: one line per
// line of text, "code-" on all but the last, the enhanced status code (when
// class is not 0) on each, CR LF after each.
func AppendReply(b []byte, code, class, subject, detail int, text string) []byte {
	for {
		line, more, found := strings.Cut(text, "\n")
		b = strconv.AppendInt(b, int64(code), 10)
		if found {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
		}
		if class != 0 {
			b = strconv.AppendInt(b, int64(class), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(subject), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(detail), 10)
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
