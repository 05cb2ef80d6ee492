package routing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hubedge/hubedge/addrspace"
)

// Candidate is one entry whose address space matches the recipient, as
// reported by Explain.
type Candidate struct {
	Entry       Entry
	Specificity int       // see Specificity; higher wins
	Cost        int       // address-space cost plus site cost
	Proximity   Proximity // LocalServer, SameSite or RemoteSite; lower wins
	Usable      bool      // enabled and in scope for the origin
	Selected    bool      // the entry Lookup returns
	Reason      string    // why it was selected, lost or skipped
}

// Explain returns every entry whose address space matches the recipient,
// disabled and out-of-scope ones included, ranked best first: usable entries
// in Lookup's order (the first is the one Lookup returns, Selected), then
// the unusable ones. Each carries the reason it won or lost. A malformed
// address yields no candidates. Explain allocates; it is for people
// debugging routing, not for the delivery path.
func (t *Table) Explain(addrType, address string, from Origin) []Candidate {
	if t == nil {
		return nil
	}
	var idx []int32
	if addrType == "" || strings.EqualFold(addrType, addrspace.SMTP) {
		d, err := addrspace.RecipientDomain(address)
		if err != nil {
			return nil
		}
		idx = t.smtpMatches(d)
	} else {
		for _, i := range t.other[strings.ToUpper(addrType)] {
			if t.entries[i].Space.Match(addrType, address) {
				idx = append(idx, i)
			}
		}
	}
	slices.SortStableFunc(idx, func(i, j int32) int {
		ui, uj := t.usable(i, from), t.usable(j, from)
		switch {
		case ui != uj && ui:
			return -1
		case ui != uj:
			return 1
		case t.better(i, j, from):
			return -1
		case t.better(j, i, from):
			return 1
		}
		return 0
	})
	out := make([]Candidate, len(idx))
	for k, i := range idx {
		e := t.entries[i]
		e.SourceServers = slices.Clone(e.SourceServers)
		out[k] = Candidate{
			Entry: e, Specificity: t.spec[i], Cost: t.cost(i, from),
			Proximity: t.proximity(i, from), Usable: t.usable(i, from),
		}
	}
	if len(out) > 0 && out[0].Usable {
		out[0].Selected = true
	}
	for k := range out {
		out[k].Reason = reason(&out[k], out[0], from)
	}
	return out
}

// smtpMatches lists every SMTP entry matching the canonical domain d.
func (t *Table) smtpMatches(d string) []int32 {
	var idx []int32
	if n := t.smtp[d]; n != nil {
		idx = append(append(idx, n.exact...), n.wild...)
	}
	for s := d; strings.IndexByte(s, '.') >= 0; {
		s = s[strings.IndexByte(s, '.')+1:]
		if n := t.smtp[s]; n != nil {
			idx = append(idx, n.wild...)
		}
	}
	return append(idx, t.any...)
}

// reason explains c relative to the winner w (w is out[0]).
func reason(c *Candidate, w Candidate, from Origin) string {
	switch {
	case c.Entry.Disabled:
		return "skipped: connector disabled"
	case !c.Usable:
		return fmt.Sprintf("skipped: Local scope, site %q is not the routing site %q", c.Entry.Site, from.Site)
	case c.Selected:
		return fmt.Sprintf("selected: most specific match %s, cost %d, %s",
			c.Entry.Space.Value, c.Cost, c.Proximity)
	case c.Specificity < w.Specificity:
		return fmt.Sprintf("lost: %s is less specific than %s", c.Entry.Space.Value, w.Entry.Space.Value)
	case c.Cost > w.Cost:
		return fmt.Sprintf("lost: cost %d is higher than %d", c.Cost, w.Cost)
	case c.Proximity > w.Proximity:
		return fmt.Sprintf("lost: equal cost; %s, winner %s", c.Proximity, w.Proximity)
	}
	return fmt.Sprintf("lost: equal cost and proximity; name %q sorts after %q", c.Entry.Connector, w.Entry.Connector)
}
