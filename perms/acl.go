package perms

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// ACL maps principals to the rights allowed and denied them on one
// connector: the Add-ADPermission -User X -ExtendedRights Y model.
//
// The zero ACL is empty and ready to use. An ACL is safe for concurrent use:
// readers (Rights, Grants) never block and never see a half-applied change,
// because every write publishes a new immutable snapshot. Writes are
// expected to be rare (configuration changes), reads to be per session.
//
// Principals are matched case-insensitively (see Principal). Deny wins over
// allow: a right denied to any of a session's principals is not effective,
// whichever principal allows it, as with Windows deny ACEs. Unlike the
// reference system, rights added by AddGroups can be removed again with
// Remove; Deny works as well.
//
// An ACL must not be copied after first use; use Clone.
type ACL struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[aclSnapshot]
}

type aclSnapshot struct {
	entries map[string]aclEntry // key: appendKey of the principal
}

type aclEntry struct {
	principal   Principal // spelling of the first Add or Deny
	allow, deny Right
}

// Add allows rights r to principal p. Adding rights already held is a no-op.
func (a *ACL) Add(p Principal, r Right) {
	a.update(p, func(e *aclEntry) { e.allow |= r })
}

// Remove withdraws allowed rights r from p. Rights p does not hold are
// ignored; denials are kept (see Undeny).
func (a *ACL) Remove(p Principal, r Right) {
	a.update(p, func(e *aclEntry) { e.allow &^= r })
}

// Deny denies rights r to p (Add-ADPermission -Deny). A denial overrides an
// allow on any principal of the same session.
func (a *ACL) Deny(p Principal, r Right) {
	a.update(p, func(e *aclEntry) { e.deny |= r })
}

// Undeny withdraws denials of r from p (Remove-ADPermission -Deny).
func (a *ACL) Undeny(p Principal, r Right) {
	a.update(p, func(e *aclEntry) { e.deny &^= r })
}

// AddGroups adds the grants of every permission group in g.
func (a *ACL) AddGroups(g Group) {
	for _, gr := range g.Grants() {
		a.Add(gr.Principal, gr.Rights)
	}
}

// update applies f to p's entry in a new snapshot and publishes it.
func (a *ACL) update(p Principal, f func(*aclEntry)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.snap.Load()
	next := &aclSnapshot{entries: make(map[string]aclEntry, 1+old.len())}
	if old != nil {
		maps.Copy(next.entries, old.entries)
	}
	key := string(appendKey(nil, p))
	e, ok := next.entries[key]
	if !ok {
		e.principal = p.Canonical()
	}
	f(&e)
	if e.allow == 0 && e.deny == 0 {
		delete(next.entries, key)
	} else {
		next.entries[key] = e
	}
	a.snap.Store(next)
}

func (s *aclSnapshot) len() int {
	if s == nil {
		return 0
	}
	return len(s.entries)
}

// Rights returns the effective rights of a session evaluated as all of
// principals (typically its own principal plus its groups): the union of
// what they are allowed minus the union of what they are denied.
//
// Rights does not allocate for principal names up to 256 bytes.
func (a *ACL) Rights(principals ...Principal) Right {
	s := a.snap.Load()
	if s == nil {
		return 0
	}
	var allow, deny Right
	var buf [256]byte
	for _, p := range principals {
		e, ok := s.entries[string(appendKey(buf[:0], p))]
		if ok {
			allow |= e.allow
			deny |= e.deny
		}
	}
	return allow &^ deny
}

// Grants returns the allowed rights of every principal, sorted by
// principal (well-known principals first, in the order of WellKnown, then
// others by comparison key). Principals with only denials are left out.
func (a *ACL) Grants() []Grant {
	return a.list(func(e aclEntry) Right { return e.allow })
}

// Denials returns the denied rights of every principal, sorted as Grants.
func (a *ACL) Denials() []Grant {
	return a.list(func(e aclEntry) Right { return e.deny })
}

func (a *ACL) list(pick func(aclEntry) Right) []Grant {
	s := a.snap.Load()
	if s == nil {
		return nil
	}
	type keyed struct {
		rank int
		key  string
		g    Grant
	}
	var ks []keyed
	for key, e := range s.entries {
		if r := pick(e); r != 0 {
			rank := slices.Index(wellKnown[:], e.principal)
			if rank < 0 {
				rank = len(wellKnown)
			}
			ks = append(ks, keyed{rank, key, Grant{e.principal, r}})
		}
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(x.key, y.key))
	})
	out := make([]Grant, len(ks))
	for i, k := range ks {
		out[i] = k.g
	}
	return out
}

// Clone returns an independent copy of a. Because snapshots are immutable,
// the copy shares the current snapshot until either side writes.
func (a *ACL) Clone() *ACL {
	c := new(ACL)
	c.snap.Store(a.snap.Load())
	return c
}
