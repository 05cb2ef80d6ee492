package milter

import (
	"strconv"
	"strings"
)

// RspamdScore reads rspamd's X-Spamd-Result field ("default: True [16.50 /
// 15.00]; GTUBE(0.00)[]; ...") and maps its score onto the SCL: the
// filter's reject score is SCL 9, zero or less is 0, linearly between
// (so rspamd's default "add header" score 6 of 15 is SCL 3).
func RspamdScore(name, value string) (int, bool) {
	if !strings.EqualFold(name, "X-Spamd-Result") {
		return 0, false
	}
	_, rest, ok := strings.Cut(value, "[")
	if !ok {
		return 0, false
	}
	inner, _, ok := strings.Cut(rest, "]")
	if !ok {
		return 0, false
	}
	a, b, ok := strings.Cut(inner, "/")
	if !ok {
		return 0, false
	}
	score, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	reject, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || reject <= 0 || score != score {
		return 0, false
	}
	return int(min(max(score*9/reject, 0), 9)), true
}
