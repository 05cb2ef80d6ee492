package cmdlet

type valueKind uint8

const (
	valWord        valueKind = iota // a bare word
	valString                       // a quoted string
	valVar                          // $name
	valList                         // a, b, c
	valHash                         // @{Add="a"; Remove="b"}
	valPlaceholder                  // <text>
)

// value is one argument as written: PowerShell's $true, $false and $null are
// valVar values named true, false and null, and numbers are words until a
// parameter's type reads them.
type value struct {
	kind  valueKind
	text  string
	items []value     // valList
	hash  []hashEntry // valHash
	pos   Pos
}

type hashEntry struct {
	key string
	pos Pos
	val value
}

type param struct {
	name     string
	pos      Pos
	val      *value // nil for a switch written alone
	attached bool   // written -Name:value
}

type command struct {
	name   string
	pos    Pos
	params []param
	args   []value // positional arguments
}

// statement is one pipeline, optionally assigned to a variable.
type statement struct {
	assign    string
	assignPos Pos
	pipeline  []command
}

// Script is a parsed cmdlet script. Apply it to a Config to get the next
// Config.
type Script struct {
	file  string
	stmts []statement
}

// Parse reads a script. file names it in error positions. It returns every
// syntax error it finds as an ErrorList; the Script is nil then.
func Parse(file string, src []byte) (*Script, error) {
	var errs ErrorList
	p := &parser{lex: newLexer(file, string(src), &errs), errs: &errs}
	p.advance()
	s := &Script{file: file}
	for p.tok.kind != tokEOF {
		if p.tok.kind == tokSep {
			p.advance()
			continue
		}
		n := len(errs)
		st := p.statement()
		if len(errs) == n {
			s.stmts = append(s.stmts, st)
		} else {
			p.recover()
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	lex  *lexer
	tok  token
	errs *ErrorList
}

func (p *parser) advance() { p.tok = p.lex.next() }

// recover skips to the end of the statement after an error.
func (p *parser) recover() {
	for p.tok.kind != tokEOF && p.tok.kind != tokSep {
		p.advance()
	}
	p.lex.depth = 0
}

func (p *parser) fail(t token, cmdlet, format string, args ...any) {
	p.errs.add(t.pos, cmdlet, format, args...)
}

func (p *parser) statement() statement {
	var st statement
	if p.tok.kind == tokVar {
		st.assign, st.assignPos = p.tok.text, p.tok.pos
		p.advance()
		if p.tok.kind != tokAssign {
			p.fail(p.tok, "", "expected '=' after $%s: a variable can only be assigned (with $%s = Get-Credential)", st.assign, st.assign)
			return st
		}
		p.advance()
	}
	for {
		c, ok := p.command()
		if !ok {
			return st
		}
		st.pipeline = append(st.pipeline, c)
		if p.tok.kind != tokPipe {
			break
		}
		p.advance()
		for p.isNewline() {
			p.advance() // a pipeline may continue on the next line after '|'
		}
	}
	if p.tok.kind != tokSep && p.tok.kind != tokEOF {
		p.fail(p.tok, st.pipeline[len(st.pipeline)-1].name, "unexpected %s", describe(p.tok))
	}
	return st
}

func describe(t token) string {
	switch t.kind {
	case tokWord, tokBad, tokPlaceholder:
		return t.kind.String() + " " + quote(t.text)
	case tokParam:
		return "parameter -" + t.text
	}
	return t.kind.String()
}

func quote(s string) string { return `"` + s + `"` }

func (p *parser) command() (command, bool) {
	if p.tok.kind != tokWord {
		p.fail(p.tok, "", "expected a cmdlet name, found %s", describe(p.tok))
		return command{}, false
	}
	c := command{name: p.tok.text, pos: p.tok.pos}
	p.advance()
	for {
		switch p.tok.kind {
		case tokSep, tokEOF, tokPipe:
			return c, true
		case tokParam:
			pm := param{name: p.tok.text, pos: p.tok.pos, attached: p.tok.attached}
			p.advance()
			if pm.attached || startsValue(p.tok.kind) {
				v, ok := p.valueExpr(c.name)
				if !ok {
					return c, false
				}
				pm.val = &v
			}
			c.params = append(c.params, pm)
		default:
			if !startsValue(p.tok.kind) {
				p.fail(p.tok, c.name, "unexpected %s", describe(p.tok))
				return c, false
			}
			v, ok := p.valueExpr(c.name)
			if !ok {
				return c, false
			}
			c.args = append(c.args, v)
		}
	}
}

func startsValue(k tokKind) bool {
	return k == tokWord || k == tokString || k == tokVar || k == tokHashOpen || k == tokPlaceholder
}

// valueExpr reads one value or a comma list; a list may continue on the next
// line after a comma.
func (p *parser) valueExpr(cmdlet string) (value, bool) {
	first, ok := p.primary(cmdlet)
	if !ok || p.tok.kind != tokComma {
		return first, ok
	}
	list := value{kind: valList, pos: first.pos, items: []value{first}}
	for p.tok.kind == tokComma {
		p.advance()
		for p.isNewline() {
			p.advance()
		}
		v, ok := p.primary(cmdlet)
		if !ok {
			return list, false
		}
		if v.kind == valList || v.kind == valHash {
			p.errs.add(v.pos, cmdlet, "a list item cannot be a list or a hash table")
			return list, false
		}
		list.items = append(list.items, v)
	}
	return list, true
}

func (p *parser) primary(cmdlet string) (value, bool) {
	t := p.tok
	switch t.kind {
	case tokWord:
		p.advance()
		return value{kind: valWord, text: t.text, pos: t.pos}, true
	case tokString:
		p.advance()
		return value{kind: valString, text: t.text, pos: t.pos}, true
	case tokVar:
		p.advance()
		return value{kind: valVar, text: t.text, pos: t.pos}, true
	case tokPlaceholder: // reported when the command is bound, so the rest of the script is still checked
		p.advance()
		return value{kind: valPlaceholder, text: t.text, pos: t.pos}, true
	case tokHashOpen:
		p.advance()
		return p.hash(cmdlet, t.pos)
	}
	p.fail(t, cmdlet, "expected a value, found %s", describe(t))
	return value{}, false
}

func (p *parser) hash(cmdlet string, at Pos) (value, bool) {
	h := value{kind: valHash, pos: at}
	for {
		switch p.tok.kind {
		case tokSep:
			p.advance()
			continue
		case tokHashClose:
			p.advance()
			return h, true
		case tokWord, tokString:
		default:
			p.fail(p.tok, cmdlet, "expected a key or '}' in @{ }, found %s", describe(p.tok))
			return h, false
		}
		e := hashEntry{key: p.tok.text, pos: p.tok.pos}
		p.advance()
		if p.tok.kind != tokAssign {
			p.fail(p.tok, cmdlet, "expected '=' after %s in @{ }", e.key)
			return h, false
		}
		p.advance()
		v, ok := p.valueExpr(cmdlet)
		if !ok {
			return h, false
		}
		if v.kind == valHash {
			p.errs.add(v.pos, cmdlet, "a hash table cannot hold a hash table")
			return h, false
		}
		e.val = v
		h.hash = append(h.hash, e)
	}
}

// isNewline reports whether the token is a line end rather than ';'.
func (p *parser) isNewline() bool { return p.tok.kind == tokSep && p.tok.text == "" }
