package dsn

import (
	"strconv"
	"strings"
)

// Reply is an SMTP reply as either end of a session sees it: the reply
// code, its RFC 3463 enhanced status code (the zero Status when the reply
// carries none) and the text, its lines joined by "\n" without codes.
// A *Reply is an error, so code that speaks SMTP can return the reply it
// got or would give.
type Reply struct {
	Code   int
	Status Status
	Text   string
}

// ParseReply reads a reply as a client receives it, the code apart and
// the lines of text joined by "\n": an enhanced status code leading the
// first line is taken out of it, and out of every later line that repeats
// it (RFC 2034 §4). Text without a valid leading code is kept whole.
func ParseReply(code int, text string) Reply {
	r := Reply{Code: code, Text: text}
	first, rest, _ := strings.Cut(text, " ")
	if nl := strings.IndexByte(first, '\n'); nl >= 0 {
		first, rest = first[:nl], text[nl:]
	}
	st, err := ParseStatus(first)
	if err != nil {
		return r
	}
	r.Status, r.Text = st, strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return r
}

// Enhanced is the enhanced status code as text, "5.1.1", or "" when the
// reply carries none.
func (r Reply) Enhanced() string {
	if r.Status == (Status{}) {
		return ""
	}
	return r.Status.String()
}

// String renders the reply on one line as "550 5.1.1 text", leaving out
// what it does not carry.
func (r Reply) String() string {
	b := strconv.AppendInt(make([]byte, 0, 12+len(r.Text)), int64(r.Code), 10)
	if enh := r.Enhanced(); enh != "" {
		b = append(b, ' ')
		b = append(b, enh...)
	}
	if r.Text != "" {
		b = append(b, ' ')
		b = append(b, r.Text...)
	}
	return string(b)
}

// Error is String, so that a *Reply can be returned as an error.
func (r *Reply) Error() string { return r.String() }

// Success reports a 2xx reply.
func (r Reply) Success() bool { return r.Code >= 200 && r.Code < 300 }

// Permanent reports a 5xx reply.
func (r Reply) Permanent() bool { return r.Code >= 500 && r.Code < 600 }

// Temporary reports a 4xx reply.
func (r Reply) Temporary() bool { return r.Code >= 400 && r.Code < 500 }

// Closing reports a 421 reply: the server is closing the session, so
// whatever transaction was open is lost (RFC 5321 §3.8).
func (r Reply) Closing() bool { return r.Code == 421 }
