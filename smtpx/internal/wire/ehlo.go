package wire

import "strings"

// ParseEHLO parses the text of a 250 EHLO reply as net/textproto returns
// it (lines joined by "\n", codes removed): the first line is the server's
// greeting, each further line an extension keyword (upper-cased) with its
// parameters (RFC 5321 §4.1.1.1). Empty lines are skipped; a repeated
// keyword keeps its first parameters.
func ParseEHLO(msg string) map[string]string {
	lines := strings.Split(msg, "\n")
	ext := make(map[string]string, len(lines))
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kw, params, _ := strings.Cut(line, " ")
		kw = strings.ToUpper(kw)
		if _, dup := ext[kw]; !dup {
			ext[kw] = strings.TrimSpace(params)
		}
	}
	return ext
}
