// Package routing picks the send connector for a recipient and tells which
// accepted domain, if any, a recipient domain belongs to.
//
// A Table is built once from the address spaces of the send connectors
// (one Entry per connector and address space) and is then immutable and safe
// for concurrent use. To change routing, build a new Table and swap it in,
// for example with an atomic.Pointer[routing.Table].
//
// Lookup follows the reference system's connector selection:
//
//  1. Only enabled entries whose address space matches the recipient are
//     candidates, and a Local-scoped entry only for servers in its own site.
//  2. The most specific address space wins: for julia@marketing.contoso.com,
//     "marketing.contoso.com" beats "*.marketing.contoso.com", which beats
//     "*.contoso.com", which beats "*.com", which beats "*".
//  3. Among equally specific entries the lowest aggregate cost wins: the
//     address-space cost plus the site-to-site cost given by WithSiteCost.
//  4. Then proximity: an entry whose source servers include the routing
//     server, then one sourced in the routing server's site, then the rest.
//  5. Then the connector name, compared byte-wise, so routing is
//     deterministic and equal-cost connectors are never load balanced.
//
// For SMTP, Lookup walks the recipient domain from the full name to ever
// shorter suffixes with one map probe per label, as dns.ServeMux does, so
// its cost depends on the number of labels, not on the number of entries,
// and it does not allocate. No match is ErrUnroutable, which a queue turns
// into the unreachable state or an NDR (5.4.4). Explain lists every
// candidate with the reason it won or lost.
//
// Non-SMTP types (X400, foreign types) match by type, case-insensitively:
// an X400 space matches when every one of its attributes equals the
// recipient's, a space of "*" matches the whole type, and more attributes
// are more specific.
//
// AcceptedDomains holds the domains the organization accepts mail for,
// Authoritative, InternalRelay or ExternalRelay, exact or "*." wildcard, and
// says which one a recipient domain falls under.
package routing
