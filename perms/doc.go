// Package perms decides who may do what on a connector and which header
// fields survive crossing it. It is pure logic: no sockets, no SMTP.
//
// # Rights, principals, groups, ACLs
//
// A Right is a set of the extended rights administrators grant with
// Add-ADPermission -ExtendedRights (Ms-Exch-SMTP-Submit,
// Ms-Exch-Accept-Headers-Routing, Ms-Exch-Send-Headers-Forest, …); ParseRights
// and Right.String use those names, case-insensitively. A Principal names
// who holds rights: a well-known principal (Anonymous, HubTransportServers,
// …) or an authenticated user or group. A receive connector's
// PermissionGroups (Group) expand to fixed principal→rights grants (the
// table of the 2010 and later releases). An ACL collects grants and denials and answers
// the effective rights of a session evaluated as several principals:
//
//	var acl perms.ACL
//	acl.AddGroups(perms.AnonymousUsers | perms.ExchangeUsers)
//	acl.Add(`CONTOSO\scanner`, perms.AcceptAnyRecipient)
//	rights := acl.Rights(`CONTOSO\scanner`, perms.AuthenticatedUsers)
//	if !rights.Has(perms.Submit) { /* 530 5.7.1 */ }
//
// # Header firewall
//
// The header firewall removes three classes of header
// fields unless the principal holds the matching right: Routing (Received
// and Resent-*; Accept-/Send-Headers-Routing), Organization
// (X-MS-Exchange-Organization-*; -Headers-Organization) and Forest
// (X-MS-Exchange-Forest-*; -Headers-Forest). On receive the session's
// Accept rights apply; on send the remote principal's Send rights. So an
// anonymous Internet sender keeps its Received fields but cannot inject
// X-MS-Exchange-Organization-SCL or -AuthAs.
//
// Filter streams a whole message from an io.Reader to an io.Writer in one
// Direction, parsing only the header block (bounded by
// Firewall.MaxHeaderBytes), keeping field order and raw bytes (RFC 5322
// §2.2, folded fields per §2.2.3) and copying the body untouched. Removed
// fields are reported so callers can log them.
//
// Filter is built on Firewall.ScanHeader, a streaming scanner of the raw
// header block that classifies and drops fields in place and allocates
// nothing in the steady state unless it removes fields (then two
// allocations: the []Removed and one string they share). It accepts and
// rejects the header blocks go-message's textproto.ReadHeader does, with one deliberate
// difference: ReadHeader fails on, or loses the line end of, a last line
// cut short by the end of input whose length is a multiple of its 4 KiB
// read buffer; ScanHeader takes it as any other line cut short. A
// differential fuzz target holds the two to the same output otherwise.
//
// Not modelled: the reference system's internal Exchange-to-Exchange rights
// (Accept-Xattr, XShadow, …), XEXCH50 itself (the Exch50 rights only parse and
// round-trip), and the special header rules of pickup/replay directories.
package perms
