package connector

import (
	"strings"

	"github.com/hubedge/hubedge/perms"
)

// applyPermissions applies the explicit permission entries to acl and
// checks that every right belongs to the connector's side.
func applyPermissions(name string, acl *perms.ACL, ps []Permission, allowed perms.Right) error {
	for _, p := range ps {
		if p.ExtendedRights&^allowed != 0 {
			return configErr(name, "Permissions", ErrInvalid, "%s cannot be granted on this kind of connector", p.ExtendedRights&^allowed)
		}
		if p.User.Canonical() == "" {
			return configErr(name, "Permissions", ErrRequired, "empty principal")
		}
		user := resolvePrincipal(p.User)
		switch {
		case p.Remove && p.Deny:
			acl.Undeny(user, p.ExtendedRights)
		case p.Remove:
			acl.Remove(user, p.ExtendedRights)
		case p.Deny:
			acl.Deny(user, p.ExtendedRights)
		default:
			acl.Add(user, p.ExtendedRights)
		}
	}
	return nil
}

// resolvePrincipal accepts a well-known principal without its authority, as
// the seed scripts write it (-user "ANONYMOUS LOGON" for
// NT AUTHORITY\ANONYMOUS LOGON).
func resolvePrincipal(p perms.Principal) perms.Principal {
	p = p.Canonical()
	if strings.ContainsRune(string(p), '\\') {
		return p
	}
	for _, w := range perms.WellKnown() {
		if _, short, ok := strings.Cut(string(w), `\`); ok && perms.Principal(short).Equal(p) {
			return w
		}
	}
	return p
}
