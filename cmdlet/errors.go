package cmdlet

import (
	"errors"
	"fmt"
	"strings"
)

// ErrScript is wrapped by every *Error, so errors.Is(err, ErrScript) tells a
// script's own fault from an I/O error of the caller.
var ErrScript = errors.New("cmdlet: script error")

// Pos is a position in a script: the file name given to Parse and a 1-based
// line and column (columns count bytes of the UTF-8 text, after any
// byte-order mark; a UTF-16 script counts as its UTF-8 decoding).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is one fault of a script, printed FILE:LINE:COL: Cmdlet-Name: message.
// Cmdlet is empty for faults found before a cmdlet name was read.
type Error struct {
	File   string
	Line   int
	Col    int
	Cmdlet string
	Msg    string
}

func (e *Error) Error() string {
	if e.Cmdlet == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Cmdlet, e.Msg)
}

// Unwrap returns ErrScript.
func (e *Error) Unwrap() error { return ErrScript }

// ErrorList is every fault found in one pass over a script, in script order.
// Its Error joins them one per line.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the list's errors, for errors.As and errors.Is.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// err returns the list as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l *ErrorList) add(p Pos, cmdlet, format string, args ...any) {
	*l = append(*l, &Error{File: p.File, Line: p.Line, Col: p.Col, Cmdlet: cmdlet, Msg: fmt.Sprintf(format, args...)})
}
