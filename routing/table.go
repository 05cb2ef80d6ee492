package routing

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

var (
	// ErrUnroutable means no enabled, in-scope entry matches the recipient.
	ErrUnroutable = errors.New("routing: unroutable")
	// ErrBadAddress means the recipient address or domain is malformed; the
	// returned error also wraps the *addrspace.ParseError.
	ErrBadAddress = errors.New("routing: bad address")
	// ErrDuplicate means a connector lists the same address space twice, or
	// an accepted domain appears twice.
	ErrDuplicate = errors.New("routing: duplicate")
)

// Entry is one address space of one send connector.
type Entry struct {
	Connector     string                 // send connector name
	Space         addrspace.AddressSpace // as returned by addrspace.Parse
	SourceServers []string               // transport servers that may use it
	Site          string                 // site of the source servers (for Local scope)
	Disabled      bool
}

// Origin is the transport server doing the routing.
type Origin struct{ Server, Site string }

// Route is the result of a lookup.
type Route struct {
	Connector string                 // the chosen send connector
	Space     addrspace.AddressSpace // its address space that matched
	Cost      int                    // address-space cost plus site cost
}

// Table is an immutable routing table. The zero value and a nil *Table
// route nothing.
type Table struct {
	entries  []Entry
	spec     []int            // specificity of entries[i]
	smtp     map[string]*node // canonical domain -> entries for it
	any      []int32          // SMTP "*"
	other    map[string][]int32
	siteCost func(from, to string) int
}

// node holds the SMTP entries keyed by one domain: "contoso.com" (exact)
// and "*.contoso.com" (wild).
type node struct{ exact, wild []int32 }

// NewTable validates entries and indexes them. It copies what it keeps, so
// the caller may reuse entries. Every Space must be canonical (as Parse
// returns it), every entry needs a connector name, a Local-scoped entry
// needs a Site, and one connector may not list the same type and value
// twice (ErrDuplicate). Disabled entries are kept for Explain only.
func NewTable(entries []Entry, opts ...Option) (*Table, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	t := &Table{
		entries:  make([]Entry, len(entries)),
		spec:     make([]int, len(entries)),
		smtp:     make(map[string]*node),
		other:    make(map[string][]int32),
		siteCost: o.siteCost,
	}
	seen := make(map[[3]string]int, len(entries))
	for i, e := range entries {
		if err := checkEntry(e); err != nil {
			return nil, fmt.Errorf("routing: entry %d (connector %q): %w", i, e.Connector, err)
		}
		key := [3]string{e.Connector, e.Space.Type, e.Space.Value}
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("%w: connector %q lists %s:%s in entries %d and %d",
				ErrDuplicate, e.Connector, e.Space.Type, e.Space.Value, j, i)
		}
		seen[key] = i
		e.SourceServers = slices.Clone(e.SourceServers)
		t.entries[i] = e
		t.spec[i] = Specificity(e.Space)
		t.index(int32(i))
	}
	return t, nil
}

func checkEntry(e Entry) error {
	switch {
	case e.Connector == "":
		return errors.New("routing: missing connector name")
	case e.Space.Scope == addrspace.Local && e.Site == "":
		return errors.New("routing: Local-scoped address space needs a Site")
	}
	return e.Space.Validate()
}

func (t *Table) index(i int32) {
	sp := t.entries[i].Space
	if sp.Type != addrspace.SMTP {
		t.other[sp.Type] = append(t.other[sp.Type], i)
		return
	}
	if sp.Value == "*" {
		t.any = append(t.any, i)
		return
	}
	key, wild := strings.CutPrefix(sp.Value, "*.")
	n := t.smtp[key]
	if n == nil {
		n = new(node)
		t.smtp[key] = n
	}
	if wild {
		n.wild = append(n.wild, i)
	} else {
		n.exact = append(n.exact, i)
	}
}

// Specificity ranks how closely an address space matches; higher wins. For
// SMTP it is 2×labels+1 for a domain, 2×labels for "*." plus a domain of
// that many labels, and 0 for "*". For X400 it is the number of attributes,
// for other types 1, and 0 for "*".
func Specificity(a addrspace.AddressSpace) int {
	switch {
	case a.Value == "*":
		return 0
	case a.Type == addrspace.SMTP:
		d, wild := strings.CutPrefix(a.Value, "*.")
		n := 2 * (strings.Count(d, ".") + 1)
		if !wild {
			n++
		}
		return n
	case a.Type == addrspace.X400:
		return strings.Count(a.Value, ";") + 1
	}
	return 1
}

// Len returns the number of entries, disabled ones included.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Entries returns a copy of the table's entries in their original order.
func (t *Table) Entries() []Entry {
	if t == nil {
		return nil
	}
	out := make([]Entry, len(t.entries))
	for i, e := range t.entries {
		e.SourceServers = slices.Clone(e.SourceServers)
		out[i] = e
	}
	return out
}
