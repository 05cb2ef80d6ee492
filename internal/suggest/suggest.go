// Package suggest finds, for a name nobody knows, the known name its user
// most likely meant: the one fewest single-letter edits away, ignoring
// case. The cmdlet script reader and the management API both use it to say
// "(closest: -Status)" after an unknown parameter or cmdlet.
//
//	if s := suggest.Closest("Statu", []string{"Identity", "Status"}); s != "" {
//		msg += " (closest: -" + s + ")"
//	}
package suggest

import "strings"

// Distance is the Levenshtein distance between a and b, ignoring case:
// the fewest single-byte insertions, deletions and substitutions that turn
// one into the other.
func Distance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to name, the first of equals, if
// it is at most half of name's length in edits away; otherwise "". A name
// so far from every candidate was not a slip of the keyboard.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		if d := Distance(name, c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > len(name)/2 {
		return ""
	}
	return best
}
