package cmdlet

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF         tokKind = iota
	tokSep                 // newline or ';'
	tokPipe                // '|'
	tokComma               // ','
	tokAssign              // '='
	tokParam               // -Name, or -Name: when a value is attached
	tokWord                // a bare word: Internal, 0.0.0.0:25, 10MB, Get-SendConnector
	tokString              // a quoted string, escapes resolved
	tokVar                 // $name (Text holds the name without '$')
	tokHashOpen            // '@{'
	tokHashClose           // '}'
	tokPlaceholder         // <text> as the documents write a value to fill in
	tokBad                 // a character or construct the language does not have
)

var tokNames = [...]string{"end of script", "end of statement", "'|'", "','", "'='", "parameter",
	"word", "string", "variable", "'@{'", "'}'", "placeholder", "bad token"}

func (k tokKind) String() string { return tokNames[k] }

type token struct {
	kind     tokKind
	text     string
	pos      Pos
	attached bool // tokParam written as -Name:value
}

// lexer splits a script into tokens the way PowerShell reads command
// arguments. Bare words end at '=' and '}' only inside @{ }, where they are
// hash keys and the closing brace.
type lexer struct {
	src   string
	file  string
	off   int
	line  int
	col   int // 1-based byte column of src[off]
	depth int // open @{
	last  tokKind
	errs  *ErrorList
}

func newLexer(file, src string, errs *ErrorList) *lexer {
	return &lexer{src: decodeScript(file, src, errs), file: file, line: 1, col: 1, errs: errs}
}

// decodeScript returns a script's text as UTF-8. Windows PowerShell 5.1 and
// many editors start a UTF-8 file with a byte-order mark, and PowerShell's
// `>` writes UTF-16 with one; without this the mark would become part of the
// first cmdlet name. A UTF-8 mark is dropped, so columns count from after
// it. Faults of a UTF-16 text are reported; the rest is still lexed (a bad
// code unit reads as U+FFFD) so that one pass reports every error.
func decodeScript(file, src string, errs *ErrorList) string {
	switch {
	case strings.HasPrefix(src, "\xef\xbb\xbf"):
		return src[3:]
	case strings.HasPrefix(src, "\xff\xfe"):
		return decodeUTF16(file, src[2:], false, errs)
	case strings.HasPrefix(src, "\xfe\xff"):
		return decodeUTF16(file, src[2:], true, errs)
	}
	return src
}

// decodeUTF16 converts UTF-16 (after its byte-order mark) to UTF-8. Errors
// are at the line and column where the bad code unit would have been in
// the UTF-8 text, as every other position counts.
func decodeUTF16(file, src string, bigEndian bool, errs *ErrorList) string {
	unit := func(i int) rune {
		if bigEndian {
			return rune(src[i])<<8 | rune(src[i+1])
		}
		return rune(src[i+1])<<8 | rune(src[i])
	}
	out := make([]byte, 0, len(src))
	reported := false
	for i := 0; i+1 < len(src); i += 2 {
		r := unit(i)
		if utf16.IsSurrogate(r) {
			r2 := utf8.RuneError
			if i+3 < len(src) {
				r2 = unit(i + 2)
			}
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				r = d
				i += 2
			} else {
				if !reported { // one report: a wrong encoding makes many
					errs.add(endPos(file, out), "", "invalid UTF-16: unpaired surrogate %U", r)
					reported = true
				}
				r = utf8.RuneError
			}
		}
		out = utf8.AppendRune(out, r)
	}
	if len(src)%2 != 0 {
		errs.add(endPos(file, out), "", "invalid UTF-16: the text ends in half a character (an odd number of bytes)")
	}
	return string(out)
}

// endPos is the position just after text.
func endPos(file string, text []byte) Pos {
	line := 1 + strings.Count(string(text), "\n")
	return Pos{file, line, len(text) - strings.LastIndexByte(string(text), '\n')}
}

func (l *lexer) pos() Pos { return Pos{l.file, l.line, l.col} }

func (l *lexer) peekRune(at int) (rune, int) {
	if at >= len(l.src) {
		return -1, 0
	}
	r, n := utf8.DecodeRuneInString(l.src[at:])
	return r, n
}

// advance moves past n bytes, none of them a newline.
func (l *lexer) advance(n int) { l.off += n; l.col += n }

func (l *lexer) newline(n int) { l.off += n; l.line++; l.col = 1 }

// Typographic dashes and quotes come from copying commands out of documents;
// PowerShell accepts them as their ASCII counterparts.
func isDash(r rune) bool   { return r == '-' || r == '\u2013' || r == '\u2014' }
func isDQuote(r rune) bool { return r == '"' || r == '\u201c' || r == '\u201d' || r == '\u201e' }
func isSQuote(r rune) bool { return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' }
func isSpace(r rune) bool  { return r != '\n' && unicode.IsSpace(r) }
func isNameRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) next() token {
	t := l.scan()
	l.last = t.kind
	return t
}

func (l *lexer) scan() token {
	l.skipBlank()
	p := l.pos()
	r, n := l.peekRune(l.off)
	switch {
	case r < 0:
		return token{kind: tokEOF, pos: p}
	case r == '\n' || r == ';':
		if r == '\n' {
			l.newline(n)
			return token{kind: tokSep, pos: p}
		}
		l.advance(n)
		return token{kind: tokSep, text: ";", pos: p}
	case r == '|':
		l.advance(n)
		return token{kind: tokPipe, pos: p}
	case r == ',':
		l.advance(n)
		return token{kind: tokComma, pos: p}
	case r == '=' && (l.depth > 0 || l.last == tokVar):
		l.advance(n)
		return token{kind: tokAssign, pos: p}
	case r == '}' && l.depth > 0:
		l.advance(n)
		l.depth--
		return token{kind: tokHashClose, pos: p}
	case r == '@' && strings.HasPrefix(l.src[l.off+n:], "{"):
		l.advance(n + 1)
		l.depth++
		return token{kind: tokHashOpen, pos: p}
	case isDQuote(r):
		return l.quoted(p, n, true)
	case isSQuote(r):
		return l.quoted(p, n, false)
	case r == '$':
		return l.variable(p, n)
	case r == '<':
		return l.placeholder(p)
	case isDash(r):
		if r2, _ := l.peekRune(l.off + n); r2 >= 0 && (unicode.IsLetter(r2) || r2 == '_') {
			return l.param(p, n)
		}
	case r == '(' || r == ')' || r == '{' || r == '}' || r == '>' || r == '&':
		l.advance(n)
		return token{kind: tokBad, text: string(r), pos: p}
	}
	return l.word(p)
}

// skipBlank skips white space (not newlines), comments and backtick line
// continuations.
func (l *lexer) skipBlank() {
	for {
		r, n := l.peekRune(l.off)
		switch {
		case r >= 0 && isSpace(r):
			l.advance(n)
		case r == '`' && l.continuation(l.off+n):
		case r == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case r == '<' && strings.HasPrefix(l.src[l.off+n:], "#"):
			p := l.pos()
			l.advance(2)
			end := strings.Index(l.src[l.off:], "#>")
			if end < 0 {
				l.errs.add(p, "", "block comment <# is not closed with #>")
				end = len(l.src) - l.off
			}
			l.skipText(end)
			if l.off < len(l.src) {
				l.advance(2)
			}
		default:
			return
		}
	}
}

// continuation consumes a backtick's line end (optional \r, then \n) if at
// points at one, and reports whether it did.
func (l *lexer) continuation(at int) bool {
	i := at
	if i < len(l.src) && l.src[i] == '\r' {
		i++
	}
	if i < len(l.src) && l.src[i] == '\n' {
		l.off = i
		l.newline(1)
		return true
	}
	if i >= len(l.src) { // a trailing backtick at the end of the script
		l.advance(i - l.off)
		return true
	}
	return false
}

// skipText moves over n bytes that may contain newlines.
func (l *lexer) skipText(n int) {
	for _, c := range []byte(l.src[l.off : l.off+n]) {
		if c == '\n' {
			l.newline(1)
		} else {
			l.advance(1)
		}
	}
}

func (l *lexer) quoted(p Pos, qlen int, double bool) token {
	l.advance(qlen)
	var b strings.Builder
	for {
		r, n := l.peekRune(l.off)
		switch {
		case r < 0:
			l.errs.add(p, "", "string is not closed")
			return token{kind: tokString, text: b.String(), pos: p}
		case double && isDQuote(r) || !double && isSQuote(r):
			l.advance(n)
			if r2, n2 := l.peekRune(l.off); double && isDQuote(r2) || !double && isSQuote(r2) {
				l.advance(n2) // a doubled quote is one quote character
				b.WriteRune(r2)
				continue
			}
			return token{kind: tokString, text: b.String(), pos: p}
		case r == '\n':
			l.newline(n)
			b.WriteByte('\n')
		case double && r == '`':
			l.advance(n)
			e, en := l.peekRune(l.off)
			if e < 0 {
				continue
			}
			if e == '\n' {
				l.newline(en)
			} else {
				l.advance(en)
			}
			b.WriteRune(backtickEscape(e))
		case double && r == '$':
			if r2, _ := l.peekRune(l.off + n); r2 == '{' || r2 == '(' || (r2 >= 0 && isNameRune(r2)) {
				// PowerShell would expand it; silently keeping the text
				// would configure something else than the author meant.
				l.errs.add(l.pos(), "", "variables are not expanded inside double quotes; use single quotes or write `$")
			}
			l.advance(n)
			b.WriteRune(r)
		default:
			l.advance(n)
			b.WriteRune(r)
		}
	}
}

func backtickEscape(r rune) rune {
	switch r {
	case '0':
		return 0
	case 'a':
		return '\a'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'v':
		return '\v'
	}
	return r
}

func (l *lexer) variable(p Pos, n int) token {
	l.advance(n)
	start := l.off
	for {
		r, rn := l.peekRune(l.off)
		if r < 0 || !isNameRune(r) {
			break
		}
		l.advance(rn)
	}
	if l.off == start {
		return token{kind: tokBad, text: "$", pos: p}
	}
	return token{kind: tokVar, text: l.src[start:l.off], pos: p}
}

func (l *lexer) placeholder(p Pos) token {
	end := strings.IndexAny(l.src[l.off:], ">\n")
	if end < 0 || l.src[l.off+end] != '>' {
		l.advance(1)
		return token{kind: tokBad, text: "<", pos: p}
	}
	text := l.src[l.off : l.off+end+1]
	l.advance(end + 1)
	return token{kind: tokPlaceholder, text: text, pos: p}
}

func (l *lexer) param(p Pos, n int) token {
	l.advance(n)
	start := l.off
	for {
		r, rn := l.peekRune(l.off)
		if r < 0 || !(isNameRune(r) || r == '-') {
			break
		}
		l.advance(rn)
	}
	t := token{kind: tokParam, text: l.src[start:l.off], pos: p}
	if l.off < len(l.src) && l.src[l.off] == ':' {
		l.advance(1)
		t.attached = true
	}
	return t
}

func (l *lexer) word(p Pos) token {
	var b strings.Builder
	for {
		r, n := l.peekRune(l.off)
		if r < 0 || isSpace(r) || r == '\n' || r == ',' || r == ';' || r == '|' || isDQuote(r) || isSQuote(r) ||
			r == '(' || r == ')' || (l.depth > 0 && (r == '=' || r == '}')) {
			break
		}
		if r == '`' {
			if l.continuation(l.off + n) {
				break
			}
			l.advance(n)
			if e, en := l.peekRune(l.off); e >= 0 {
				l.advance(en)
				b.WriteRune(e)
			}
			continue
		}
		l.advance(n)
		b.WriteRune(r)
	}
	if b.Len() == 0 { // a lone character no rule takes
		_, n := l.peekRune(l.off)
		l.advance(max(n, 1))
		return token{kind: tokBad, text: l.src[l.off-max(n, 1) : l.off], pos: p}
	}
	return token{kind: tokWord, text: b.String(), pos: p}
}
