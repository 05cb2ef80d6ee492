package protolog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event is the event column of a record.
type Event byte

// Events, as the reference system writes them.
const (
	EventConnect    Event = '+'
	EventDisconnect Event = '-'
	EventSend       Event = '>'
	EventReceive    Event = '<'
	EventInfo       Event = '*'
)

func (e Event) valid() bool {
	switch e {
	case EventConnect, EventDisconnect, EventSend, EventReceive, EventInfo:
		return true
	}
	return false
}

// String returns the event's symbol.
func (e Event) String() string { return string(rune(e)) }

// Fields is the #Fields header of every log file.
const Fields = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"

// TimeLayout is the date-time column's layout (always UTC).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Record is one line of the log.
type Record struct {
	Time        time.Time // UTC, millisecond precision
	ConnectorID string
	SessionID   string
	Sequence    int
	Local       string // "ip:port"
	Remote      string // "ip:port"
	Event       Event
	Data        string
	Context     string
}

// appendRecord appends r as one CSV line ending in CRLF.
func appendRecord(b []byte, r *Record) []byte {
	b = appendTime(b, r.Time)
	b = append(b, ',')
	b = appendField(b, r.ConnectorID)
	b = append(b, ',')
	b = appendField(b, r.SessionID)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Sequence), 10)
	b = append(b, ',')
	b = appendField(b, r.Local)
	b = append(b, ',')
	b = appendField(b, r.Remote)
	b = append(b, ',', byte(r.Event), ',')
	b = appendField(b, r.Data)
	b = append(b, ',')
	b = appendField(b, r.Context)
	return append(b, '\r', '\n')
}

// appendTime appends t in TimeLayout; it is the hottest part of a record,
// so it avoids time.Format's layout parsing.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, int(mo), '-')
	b = append2(b, d, 'T')
	b = append2(b, h, ':')
	b = append2(b, mi, ':')
	b = append2(b, s, '.')
	ms := t.Nanosecond() / 1e6
	return append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}

// needsQuotes reports a comma, a quote, CR or LF in s.
func needsQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// appendField quotes s when it holds a comma, a quote, CR or LF.
func appendField(b []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// ErrSyntax is wrapped by every *ParseError.
var ErrSyntax = errors.New("protolog: syntax error")

// ParseError reports a malformed line of a log.
type ParseError struct {
	Line int    // 1-based line where the record starts
	Msg  string // what is wrong
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("protolog: line %d: %s", e.Line, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// Parse reads a protocol log (one file, or several concatenated) and
// returns its records in order. Header lines ("#...") are skipped, but a
// #Fields header other than Fields is an error; lines may end in CRLF or
// LF, and quoted fields may span lines.
func Parse(r io.Reader) ([]Record, error) {
	br := bufio.NewReader(r)
	var out []Record
	line := 0
	for {
		start := line + 1
		fields, n, err := readRecord(br)
		line += n
		if err == io.EOF && fields == nil {
			return out, nil
		}
		if err != nil && err != io.EOF {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Line = start
			}
			return out, err
		}
		if len(fields) == 1 && strings.HasPrefix(fields[0], "#") {
			if f, ok := strings.CutPrefix(fields[0], "#Fields: "); ok && f != Fields {
				return out, &ParseError{Line: start, Msg: "unexpected #Fields " + strconv.Quote(f)}
			}
			continue
		}
		if len(fields) == 1 && fields[0] == "" {
			continue // blank line
		}
		rec, perr := toRecord(fields)
		if perr != nil {
			perr.Line = start
			return out, perr
		}
		out = append(out, rec)
	}
}

// readRecord reads one CSV record and the number of lines it spans. A
// header line is returned whole as a single field.
func readRecord(br *bufio.Reader) ([]string, int, error) {
	first, err := br.Peek(1)
	if err != nil {
		return nil, 0, err
	}
	if first[0] == '#' {
		s, err := br.ReadString('\n')
		if err == io.EOF && s == "" {
			return nil, 0, err
		}
		return []string{strings.TrimRight(s, "\r\n")}, 1, nil
	}
	var fields []string
	var f strings.Builder
	lines := 1
	quoted, inQuotes, afterQuote := false, false, false
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			if inQuotes {
				return nil, lines, &ParseError{Msg: "unterminated quoted field"}
			}
			return append(fields, f.String()), lines, nil
		}
		if err != nil {
			return nil, lines, err
		}
		switch {
		case inQuotes:
			if c == '"' {
				inQuotes, afterQuote = false, true
				continue
			}
			if c == '\n' {
				lines++
			}
			f.WriteByte(c)
		case afterQuote && c == '"': // doubled quote
			f.WriteByte('"')
			inQuotes, afterQuote = true, false
		case c == ',':
			fields = append(fields, f.String())
			f.Reset()
			quoted, afterQuote = false, false
		case c == '\n':
			return append(fields, f.String()), lines, nil
		case c == '\r':
			next, perr := br.Peek(1)
			if perr == nil && next[0] == '\n' {
				continue
			}
			if afterQuote {
				return nil, lines, &ParseError{Msg: "text after a quoted field"}
			}
			f.WriteByte(c)
		case afterQuote:
			return nil, lines, &ParseError{Msg: "text after a quoted field"}
		case c == '"' && f.Len() == 0 && !quoted:
			quoted, inQuotes = true, true
		case c == '"':
			return nil, lines, &ParseError{Msg: "bare quote in an unquoted field"}
		default:
			f.WriteByte(c)
		}
	}
}

func toRecord(f []string) (Record, *ParseError) {
	if len(f) != 9 {
		return Record{}, &ParseError{Msg: fmt.Sprintf("%d fields, want 9", len(f))}
	}
	t, err := time.Parse(TimeLayout, f[0])
	if err != nil {
		return Record{}, &ParseError{Msg: "bad date-time " + strconv.Quote(f[0])}
	}
	seq, err := strconv.Atoi(f[3])
	if err != nil || seq < 0 {
		return Record{}, &ParseError{Msg: "bad sequence-number " + strconv.Quote(f[3])}
	}
	if len(f[6]) != 1 || !Event(f[6][0]).valid() {
		return Record{}, &ParseError{Msg: "bad event " + strconv.Quote(f[6])}
	}
	return Record{Time: t, ConnectorID: f[1], SessionID: f[2], Sequence: seq, Local: f[4], Remote: f[5],
		Event: Event(f[6][0]), Data: f[7], Context: f[8]}, nil
}
