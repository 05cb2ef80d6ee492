package addrspace

import "strings"

// MatchX400 reports whether the X400 recipient address covers every
// attribute of space: for each "attr=value" of space, address must carry the
// same attribute with an equal value. Attribute names and values compare
// case-insensitively with surrounding blanks ignored, as X.400 O/R-address
// attributes are printable strings compared without regard to case. A space
// of "*" matches any non-empty address. Extra attributes in the address
// (surname, given name, ...) are what make it a recipient inside the space.
func MatchX400(space, address string) bool {
	if space == "*" {
		return address != ""
	}
	for space != "" {
		var pair string
		pair, space, _ = strings.Cut(space, ";")
		attr, val, ok := strings.Cut(pair, "=")
		if !ok || !hasX400Attr(address, strings.TrimSpace(attr), strings.TrimSpace(val)) {
			return false
		}
	}
	return true
}

// hasX400Attr reports whether address contains attr=val. Empty pairs (as in
// a trailing ';') are skipped.
func hasX400Attr(address, attr, val string) bool {
	for address != "" {
		var pair string
		pair, address, _ = strings.Cut(address, ";")
		a, v, ok := strings.Cut(pair, "=")
		if ok && strings.EqualFold(strings.TrimSpace(a), attr) && strings.EqualFold(strings.TrimSpace(v), val) {
			return true
		}
	}
	return false
}
