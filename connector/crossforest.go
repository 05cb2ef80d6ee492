package connector

import "github.com/hubedge/hubedge/perms"

// CrossForestRights are the rights Enable-CrossForestConnector grants:
// the three send header rights, plus SendExch50 for a legacy (Exchange
// 2003, -genericMTA) peer.
func CrossForestRights(legacy bool) perms.Right {
	r := perms.SendRoutingHeaders | perms.SendOrganizationHeaders | perms.SendForestHeaders
	if legacy {
		r |= perms.SendExch50
	}
	return r
}

// EnableCrossForest does what the reference system's
// Enable-CrossForestConnector.ps1 script does to a send connector: it
// appends a permission granting CrossForestRights(legacy) to p, the
// principal the other forest's servers are seen as (usually
// perms.Anonymous, since they do not authenticate to us).
//
//	Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON" [-genericMTA]
//	cfg.EnableCrossForest(perms.Anonymous, false)
func (c *SendConfig) EnableCrossForest(p perms.Principal, legacy bool) {
	c.Permissions = append(c.Permissions, Permission{User: p, ExtendedRights: CrossForestRights(legacy)})
}
