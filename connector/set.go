package connector

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
)

// Set is an immutable collection of receive connectors, indexed for
// choosing the connector that handles an incoming connection. It is safe for
// concurrent use; to change the configuration build a new Set and swap it.
type Set struct {
	conns    []*ReceiveConnector
	specific map[netip.AddrPort]*group // bound to one local address
	any4     map[uint16]*group         // 0.0.0.0:port
	any6     map[uint16]*group         // [::]:port
}

// group holds the remote-range lookup tables of one binding, per family.
type group struct{ v4, v6 table }

// table maps the address line to connectors: segment i covers
// [starts[i], starts[i+1]) and belongs to owners[i] (-1: no connector). The
// segments are precomputed from nested ranges so that the innermost
// (narrowest) range wins with one binary search.
type table struct {
	starts []u128
	owners []int32
}

func (t *table) lookup(x u128) int32 {
	lo, hi := 0, len(t.starts)
	for lo < hi { // first start > x
		m := int(uint(lo+hi) >> 1)
		if t.starts[m].cmp(x) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return -1
	}
	return t.owners[lo-1]
}

func (g *group) lookup(is4 bool, x u128) int32 {
	if g == nil {
		return -1
	}
	if is4 {
		return g.v4.lookup(x)
	}
	return g.v6.lookup(x)
}

// entry is one (binding, remote range) pair of a connector.
type entry struct {
	lo, hi u128
	conn   int32
	r      IPRange
}

// NewSet validates the connectors as one server's configuration and indexes
// the enabled ones. It refuses (with *ConfigError) two connectors with the
// same name (ErrDuplicateName), two connectors on the same binding with the same remote range
// (ErrDuplicateBinding; this includes a specific address and 0.0.0.0 or [::]
// on the same port), and remote ranges on one binding that overlap without
// nesting (ErrRangeOverlap), as the reference system does.
func NewSet(conns ...*ReceiveConnector) (*Set, error) {
	s := &Set{
		conns:    slices.Clone(conns),
		specific: map[netip.AddrPort]*group{},
		any4:     map[uint16]*group{},
		any6:     map[uint16]*group{},
	}
	names := map[string]bool{}
	byBinding := map[netip.AddrPort][]entry{}
	for i, c := range s.conns {
		if c == nil {
			return nil, configErr("", "Name", ErrInvalid, "nil receive connector at index %d", i)
		}
		if names[c.cfg.Name] {
			return nil, configErr(c.cfg.Name, "Name", ErrDuplicateName, "two receive connectors are named %q", c.cfg.Name)
		}
		names[c.cfg.Name] = true
		for _, b := range c.cfg.Bindings {
			for _, r := range c.cfg.RemoteIPRanges {
				e := entry{lo: u128Of(r.from), hi: u128Of(r.to), conn: int32(i), r: r}
				byBinding[b] = append(byBinding[b], e)
			}
		}
	}
	for b, es := range byBinding {
		g, err := s.buildGroup(b, es)
		if err != nil {
			return nil, err
		}
		switch {
		case b.Addr() == netip.IPv4Unspecified():
			s.any4[b.Port()] = g
		case b.Addr() == netip.IPv6Unspecified():
			s.any6[b.Port()] = g
		default:
			s.specific[b] = g
		}
	}
	if err := s.checkWildcardCollisions(byBinding); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Set) buildGroup(b netip.AddrPort, es []entry) (*group, error) {
	var v4, v6 []entry
	for _, e := range es {
		if e.r.Is4() {
			v4 = append(v4, e)
		} else {
			v6 = append(v6, e)
		}
	}
	g := &group{}
	var err error
	if g.v4, err = s.buildTable(b, v4); err != nil {
		return nil, err
	}
	if g.v6, err = s.buildTable(b, v6); err != nil {
		return nil, err
	}
	return g, nil
}

// buildTable checks that the ranges of one binding and family are nested or
// disjoint, then flattens them into segments owned by the innermost range.
// Disabled connectors take part in the checks but own no segment: their
// addresses fall to the enclosing range.
func (s *Set) buildTable(b netip.AddrPort, es []entry) (table, error) {
	slices.SortFunc(es, func(x, y entry) int {
		if c := x.lo.cmp(y.lo); c != 0 {
			return c
		}
		if c := y.hi.cmp(x.hi); c != 0 { // wider first: parents before children
			return c
		}
		return cmp.Compare(x.conn, y.conn)
	})
	var t table
	emit := func(start u128, o int32) {
		n := len(t.starts)
		if n > 0 && t.starts[n-1] == start {
			t.owners[n-1] = o
			return
		}
		if n > 0 && t.owners[n-1] == o {
			return
		}
		t.starts = append(t.starts, start)
		t.owners = append(t.owners, o)
	}
	// open ranges, outermost first; eff is the connector that owns the
	// range's addresses: its own, or a disabled one's nearest enabled parent.
	type open struct {
		entry
		eff int32
	}
	var stack []open
	parent := func() int32 {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1].eff
	}
	pop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if next, wrapped := top.hi.inc(); !wrapped {
			emit(next, parent())
		}
	}
	for _, e := range es {
		for len(stack) > 0 && stack[len(stack)-1].hi.cmp(e.lo) < 0 {
			pop()
		}
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.lo == e.lo && top.hi == e.hi {
				if top.conn == e.conn {
					continue // listed twice on one connector
				}
				return table{}, s.conflict(ErrDuplicateBinding, b, top.entry, e)
			}
			if top.hi.cmp(e.hi) < 0 {
				return table{}, s.conflict(ErrRangeOverlap, b, top.entry, e)
			}
		}
		eff := e.conn
		if !s.conns[e.conn].cfg.Enabled {
			eff = parent()
		}
		emit(e.lo, eff)
		stack = append(stack, open{e, eff})
	}
	for len(stack) > 0 {
		pop()
	}
	return t, nil
}

func (s *Set) conflict(sentinel error, b netip.AddrPort, a, e entry) error {
	ca, ce := s.conns[a.conn], s.conns[e.conn]
	if sentinel == ErrDuplicateBinding {
		return configErr(ce.cfg.Name, "RemoteIPRanges", sentinel,
			"binding %s with remote range %s is already used by connector %q", b, e.r, ca.cfg.Name)
	}
	return configErr(ce.cfg.Name, "RemoteIPRanges", sentinel,
		"on binding %s, remote range %s overlaps %s of connector %q without containing it or being contained",
		b, e.r, a.r, ca.cfg.Name)
}

// checkWildcardCollisions refuses a specific binding and the all-addresses
// binding of its family on the same port with an identical remote range.
func (s *Set) checkWildcardCollisions(byBinding map[netip.AddrPort][]entry) error {
	keys := slices.SortedFunc(maps.Keys(byBinding), netip.AddrPort.Compare)
	for _, b := range keys {
		if b.Addr().IsUnspecified() {
			continue
		}
		wild := netip.AddrPortFrom(netip.IPv4Unspecified(), b.Port())
		if b.Addr().Is6() {
			wild = netip.AddrPortFrom(netip.IPv6Unspecified(), b.Port())
		}
		for _, e := range byBinding[b] {
			for _, w := range byBinding[wild] {
				if w.conn != e.conn && w.lo == e.lo && w.hi == e.hi {
					return configErr(s.conns[e.conn].cfg.Name, "Bindings", ErrDuplicateBinding,
						"binding %s with remote range %s collides with binding %s of connector %q; give the connectors different local addresses or ranges",
						b, e.r, wild, s.conns[w.conn].cfg.Name)
				}
			}
		}
	}
	return nil
}

// Select returns the enabled receive connector that handles a connection
// from remote to local. local is the binding the listener was opened for, or
// the connection's local address.
//
// Precedence: connectors bound to the specific local address are tried
// first, then those bound to 0.0.0.0 (IPv4 local addresses only), then
// [::] (which on a dual-stack socket also receives IPv4); within a binding
// the narrowest remote range that contains remote wins (a single address
// beats a /24 beats 0.0.0.0-255.255.255.255). IPv4-mapped addresses are
// unmapped first. No match gives ErrNoConnector, and the connection should
// be refused. Select does not allocate.
func (s *Set) Select(local netip.AddrPort, remote netip.Addr) (*ReceiveConnector, error) {
	if s == nil || !remote.IsValid() {
		return nil, ErrNoConnector
	}
	remote = remote.Unmap()
	is4, x := remote.Is4(), u128Of(remote)
	la, port := local.Addr().Unmap().WithZone(""), local.Port()
	if i := s.specific[netip.AddrPortFrom(la, port)].lookup(is4, x); i >= 0 {
		return s.conns[i], nil
	}
	if !la.Is6() {
		if i := s.any4[port].lookup(is4, x); i >= 0 {
			return s.conns[i], nil
		}
	}
	if i := s.any6[port].lookup(is4, x); i >= 0 {
		return s.conns[i], nil
	}
	return nil, ErrNoConnector
}

// Connectors returns the connectors of the set, in the order given.
func (s *Set) Connectors() []*ReceiveConnector { return slices.Clone(s.conns) }

// Bindings returns the distinct bindings of the enabled connectors, sorted:
// the listeners a server opens.
func (s *Set) Bindings() []netip.AddrPort {
	var out []netip.AddrPort
	for _, c := range s.conns {
		if c.cfg.Enabled {
			out = append(out, c.cfg.Bindings...)
		}
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return slices.Compact(out)
}

// String summarises the set for logs.
func (s *Set) String() string {
	return fmt.Sprintf("connector.Set(%d receive connectors)", len(s.conns))
}
