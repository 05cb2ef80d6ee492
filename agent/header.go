package agent

import "bytes"

// ParseHeader splits a header block (fields each ending in CRLF or LF,
// without the empty line that ends the header) into Fields, folding kept
// in the values. Lines that are not fields are skipped: the receive
// session's header firewall keeps only well-formed ones.
func ParseHeader(b []byte) []Field {
	var fs []Field
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && len(fs) > 0 {
			fs[len(fs)-1].Value += "\r\n" + string(line) // a folded line
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		fs = append(fs, Field{Name: string(bytes.TrimRight(name, " \t")), Value: string(value)})
	}
	return fs
}

// AppendHeader appends fs to b as a header block, each field ending in
// CRLF; ParseHeader reads it back.
func AppendHeader(b []byte, fs []Field) []byte {
	for _, f := range fs {
		b = append(b, f.Name...)
		b = append(b, ':')
		if f.Value != "" && f.Value[0] != ' ' && f.Value[0] != '\t' {
			b = append(b, ' ')
		}
		b = append(b, f.Value...)
		b = append(b, '\r', '\n')
	}
	return b
}
