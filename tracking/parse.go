package tracking

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is wrapped by every *ParseError.
var ErrSyntax = errors.New("tracking: syntax error")

// ParseError reports a line of a log that cannot be read.
type ParseError struct {
	Line int // 1-based line number in the input
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("tracking: line %d: %s", e.Line, e.Msg) }

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// maxLine bounds one line so a damaged file cannot make the reader hold
// unbounded memory.
const maxLine = 1 << 20

// Reader reads records from a log file or stream. Columns are matched by
// the names in the last #Fields line, so files of the reference system's
// other layouts (fewer columns, network-message-id) read too; unknown
// columns are ignored. Without a #Fields line, Fields is assumed.
type Reader struct {
	s    *bufio.Scanner
	line int
	cols []int // for each column of the file, its index in Fields or -1
	// Header holds the values of the last #Software, #Version, #Log-type
	// and #Date lines read, keyed by name ("Software", ...).
	Header map[string]string
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), maxLine)
	return &Reader{s: s, cols: standardCols(), Header: map[string]string{}}
}

func standardCols() []int {
	cols := make([]int, fieldCount)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

var fieldIndex = func() map[string]int {
	m := make(map[string]int, fieldCount)
	for i, f := range strings.Split(Fields, ",") {
		m[f] = i
	}
	return m
}()

// Next returns the next record, or io.EOF after the last one. A line that
// cannot be read returns a *ParseError; reading may go on after it.
func (r *Reader) Next() (Record, error) {
	for r.s.Scan() {
		r.line++
		line := strings.TrimSuffix(r.s.Text(), "\r")
		if line == "" {
			continue
		}
		if line[0] == '#' {
			r.header(line[1:])
			continue
		}
		return r.record(line)
	}
	if err := r.s.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Record{}, &ParseError{Line: r.line + 1, Msg: "line too long"}
		}
		return Record{}, err
	}
	return Record{}, io.EOF
}

func (r *Reader) header(h string) {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return
	}
	value = strings.TrimSpace(value)
	if name != "Fields" {
		r.Header[name] = value
		return
	}
	names := strings.Split(value, ",")
	r.cols = make([]int, len(names))
	for i, n := range names {
		idx, ok := fieldIndex[strings.TrimSpace(n)]
		if !ok {
			idx = -1
		}
		r.cols[i] = idx
	}
}

func (r *Reader) record(line string) (Record, error) {
	var rec Record
	fail := func(msg string) (Record, error) { return Record{}, &ParseError{Line: r.line, Msg: msg} }
	col := 0
	for rest, more := line, true; more; col++ {
		var f string
		var err error
		f, rest, more, err = nextField(rest)
		if err != nil {
			return fail(err.Error())
		}
		if col >= len(r.cols) {
			return fail(fmt.Sprintf("more than the %d columns of #Fields", len(r.cols)))
		}
		if err := rec.set(r.cols[col], f); err != nil {
			return fail(fmt.Sprintf("%s: %v", strings.Split(Fields, ",")[r.cols[col]], err))
		}
	}
	if rec.Time.IsZero() {
		return fail("no date-time")
	}
	if len(rec.Recipients) > 1 && len(rec.RecipientStatus) == 1 {
		rec.RecipientStatus = strings.Split(rec.RecipientStatus[0], ";")
	}
	return rec, nil
}

// set stores field f in column i of Fields (-1: ignored).
func (rec *Record) set(i int, f string) error {
	switch i {
	case -1:
	case 0:
		t, err := time.Parse(TimeLayout, f)
		if err != nil {
			return errors.New("bad time")
		}
		rec.Time = t
	case 11:
		rec.Recipients = splitList(f)
	case 12:
		// Split once the recipients are known: a single recipient's
		// status may hold a ";".
		if f != "" {
			rec.RecipientStatus = []string{f}
		}
	case 13, 14:
		if f == "" {
			return nil
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return errors.New("not a count")
		}
		if i == 13 {
			rec.TotalBytes = n
		} else if rec.RecipientCount = int(n); int64(rec.RecipientCount) != n {
			return errors.New("count too large")
		}
	default:
		*rec.text(i) = f
	}
	return nil
}

func splitList(f string) []string {
	if f == "" {
		return nil
	}
	return strings.Split(f, ";")
}

// nextField cuts the first CSV field off s (RFC 4180 quoting, on one
// line); more reports whether a comma followed it.
func nextField(s string) (field, rest string, more bool, err error) {
	if s == "" || s[0] != '"' {
		field, rest, more = strings.Cut(s, ",")
		if strings.Contains(field, `"`) {
			return "", "", false, errors.New("quote inside an unquoted field")
		}
		return field, rest, more, nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		switch {
		case i+1 == len(s):
			return b.String(), "", false, nil
		case s[i+1] == ',':
			return b.String(), s[i+2:], true, nil
		}
		return "", "", false, errors.New("text after a closing quote")
	}
	return "", "", false, errors.New("unterminated quote")
}

// Parse reads every record of r. It stops at the first error.
func Parse(r io.Reader) ([]Record, error) {
	rd := NewReader(r)
	var out []Record
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}
