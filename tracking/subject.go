package tracking

import (
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSubject bounds the message-subject column, in bytes: a subject is for
// finding a message, and a hostile one must not make a line of the log
// as long as a header may be.
const MaxSubject = 512

// subjectDecoder decodes the charsets Go's mime package knows (UTF-8,
// ISO-8859-1, US-ASCII); a word in any other charset is kept as written.
var subjectDecoder = new(mime.WordDecoder)

// Subject turns the raw value of a message's Subject header field, as
// received (folded, RFC 2047 encoded words and all), into the
// message-subject column: encoded words decoded, folding and other control
// characters turned into spaces, leading and trailing space trimmed, at
// most MaxSubject bytes cut at a character boundary. Bytes that are not
// UTF-8 become U+FFFD.
func Subject(raw string) string {
	s := strings.ReplaceAll(raw, "\r\n", "") // unfold (RFC 5322 section 2.2.3)
	if strings.Contains(s, "=?") {
		if d, err := subjectDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.TrimSpace(s)
	if len(s) > MaxSubject {
		cut := MaxSubject
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// SubjectLogging reports whether l writes the message-subject column, so
// that a caller need not decode a subject l would drop.
func (l *Log) SubjectLogging() bool { return l != nil && l.opts.subject }
