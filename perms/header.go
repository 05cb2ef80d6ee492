package perms

import (
	"strings"
)

// Class is a set of header-firewall classes.
type Class uint8

// Header classes.
const (
	// Routing is Received and every Resent-* field (Resent-Date, -From,
	// -Sender, -To, -Cc, -Bcc, -Message-ID, and any other Resent- field).
	Routing Class = 1 << iota
	// Organization is every field whose name starts with the firewall's
	// organization prefix (default X-MS-Exchange-Organization-).
	Organization
	// Forest is every field whose name starts with the firewall's forest
	// prefix (default X-MS-Exchange-Forest-).
	Forest

	// AllClasses holds every class.
	AllClasses = Routing | Organization | Forest
)

// String returns the class names joined by "|" ("Routing|Forest"), or
// "None".
func (c Class) String() string {
	if c == 0 {
		return "None"
	}
	var parts []string
	for i, name := range [...]string{"Routing", "Organization", "Forest"} {
		if c&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if c&^AllClasses != 0 {
		parts = append(parts, "Class(0x"+uitoa16(uint32(c&^AllClasses))+")")
	}
	return strings.Join(parts, "|")
}

// Direction says which side of a connector a message crosses.
type Direction uint8

// Directions.
const (
	// Receive is a message arriving on a receive connector; the session's
	// Accept-Headers-* rights apply.
	Receive Direction = iota + 1
	// Send is a message leaving on a send connector; the remote principal's
	// Send-Headers-* rights apply.
	Send
)

func (d Direction) String() string {
	switch d {
	case Receive:
		return "Receive"
	case Send:
		return "Send"
	}
	return "Direction(" + uitoa16(uint32(d)) + ")"
}

// Right returns the right that lets the classes in c pass in direction d
// (for a single class, its one Accept- or Send-Headers right).
func (c Class) Right(d Direction) Right {
	var r Right
	if c&Routing != 0 {
		r |= pick(d, AcceptRoutingHeaders, SendRoutingHeaders)
	}
	if c&Organization != 0 {
		r |= pick(d, AcceptOrganizationHeaders, SendOrganizationHeaders)
	}
	if c&Forest != 0 {
		r |= pick(d, AcceptForestHeaders, SendForestHeaders)
	}
	return r
}

func pick(d Direction, recv, send Right) Right {
	switch d {
	case Receive:
		return recv
	case Send:
		return send
	}
	return 0
}

// Allowed returns the classes that rights r let pass in direction d. Under
// an unknown direction nothing passes.
func Allowed(d Direction, r Right) Class {
	var c Class
	for _, k := range [...]Class{Routing, Organization, Forest} {
		if rr := k.Right(d); rr != 0 && r.Has(rr) {
			c |= k
		}
	}
	return c
}

// Default header-class prefixes.
const (
	DefaultOrganizationPrefix = "X-MS-Exchange-Organization-"
	DefaultForestPrefix       = "X-MS-Exchange-Forest-"
	// DefaultMaxHeaderBytes is the default MaxHeaderBytes: the receive
	// connector's MaxHeaderSize default of 256 KB.
	DefaultMaxHeaderBytes = 256 << 10
)

// Firewall removes header fields of the classes a principal may not pass
// (the reference system's "header firewall"). The zero
// value uses the default prefixes and limit; a Firewall is read-only during
// use and safe for concurrent use.
//
// Field names are matched case-insensitively, after the white space that
// some senders put before the colon ("Received :") is trimmed. A field is
// removed whole, with all its continuation lines. Every other field keeps
// its position and raw bytes.
type Firewall struct {
	// OrganizationPrefix starts the names of organization fields.
	// Empty means DefaultOrganizationPrefix.
	OrganizationPrefix string
	// ForestPrefix starts the names of forest fields. Empty means
	// DefaultForestPrefix. When both prefixes match a name, the longer
	// prefix decides the class.
	ForestPrefix string
	// MaxHeaderBytes bounds the header block Filter reads before it gives
	// up with *HeaderTooLargeError. Zero means DefaultMaxHeaderBytes; a
	// negative value means no limit.
	MaxHeaderBytes int
}

// Removed describes one removed header field.
type Removed struct {
	Class Class  // the field's class (a single bit)
	Key   string // the field name in canonical MIME form ("X-Ms-Exchange-Organization-Scl")
	Value string // the unfolded value
}

// RemovedKeys lists the keys of rs, comma-separated, as logs and traces
// name the fields a firewall removed.
func RemovedKeys(rs []Removed) string {
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.Key
	}
	return strings.Join(keys, ",")
}

var defaultFirewall Firewall

// ClassOf returns the class of a field name under the default prefixes.
func ClassOf(key string) (Class, bool) { return defaultFirewall.ClassOf(key) }

// ClassOf returns the class of a field name, case-insensitively and
// ignoring white space around the name, and false for fields of no class.
func (f *Firewall) ClassOf(key string) (Class, bool) {
	return classOf(f, strings.TrimSpace(key))
}

// classOf is ClassOf on a trimmed name, generic so that the header scanner
// classifies the bytes it read without converting them to a string.
func classOf[S ~string | ~[]byte](f *Firewall, key S) (Class, bool) {
	if len(key) == len("Received") && hasPrefixFold(key, "Received") || hasPrefixFold(key, "Resent-") {
		return Routing, true
	}
	org, forest := f.prefixes()
	o, fo := hasPrefixFold(key, org), hasPrefixFold(key, forest)
	switch {
	case o && fo && len(forest) > len(org), fo && !o:
		return Forest, true
	case o:
		return Organization, true
	}
	return 0, false
}

func (f *Firewall) prefixes() (org, forest string) {
	org, forest = DefaultOrganizationPrefix, DefaultForestPrefix
	if f != nil && f.OrganizationPrefix != "" {
		org = f.OrganizationPrefix
	}
	if f != nil && f.ForestPrefix != "" {
		forest = f.ForestPrefix
	}
	return org, forest
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case
// only: field names are ASCII (RFC 5322 §2.2), and Unicode folding would let
// "X-Mſ-…" (long s) pass for "X-MS-…" here but not at the next hop.
func hasPrefixFold[S ~string | ~[]byte](s S, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if a != b && lowerASCII(a) != lowerASCII(b) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
