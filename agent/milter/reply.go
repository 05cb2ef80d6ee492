package milter

import (
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/agent"
)

// ParseReply turns a filter's SMTP reply ("554 5.7.1 text", possibly
// multi-line with "554-" continuation lines) into an agent reply of one
// line; code is used when the text carries none. It never fails: a
// malformed text is kept as the reply text.
func ParseReply(code int, text string) *agent.Reply {
	r := &agent.Reply{Code: code}
	var parts []string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 3 {
			if c, err := strconv.Atoi(line[:3]); err == nil && (len(line) == 3 || line[3] == ' ' || line[3] == '-') {
				if i == 0 && c >= 400 && c <= 599 {
					r.Code = c
				}
				line = strings.TrimSpace(line[min(4, len(line)):])
			}
		}
		if enh, rest, ok := cutEnhanced(line); ok {
			if r.Enhanced == "" && enh[0] == byte('0'+r.Code/100) {
				r.Enhanced = enh
			}
			line = rest
		}
		if line != "" {
			parts = append(parts, line)
		}
	}
	r.Text = clean(strings.Join(parts, " "))
	if r.Code < 400 || r.Code > 599 {
		r.Code = 451
	}
	return r
}

// cutEnhanced splits a leading RFC 3463 status ("5.7.1") off line.
func cutEnhanced(line string) (enh, rest string, ok bool) {
	word, rest, _ := strings.Cut(line, " ")
	f := strings.Split(word, ".")
	if len(f) != 3 || len(f[0]) != 1 || (f[0] != "4" && f[0] != "5") {
		return "", line, false
	}
	for _, n := range f[1:] {
		if v, err := strconv.Atoi(n); err != nil || v < 0 || v > 999 || len(n) > 3 {
			return "", line, false
		}
	}
	return word, strings.TrimSpace(rest), true
}

// clean removes control characters so a reply stays one line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
