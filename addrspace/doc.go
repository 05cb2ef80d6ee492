// Package addrspace parses, prints, validates and matches send-connector
// address spaces, the values that tell a transport which recipients a
// connector routes to.
//
// The full syntax is
//
//	[Local:][Type:]Space[;Cost]
//
// for example "*", "contoso.com", "*.contoso.com", "Local:SMTP:*.contoso.com;3"
// or "X400:o=MySite;p=MyOrg;a=adatum;c=us;5". An item may be enclosed in
// double quotes, and ParseList reads comma-separated lists such as
// "contoso.com;2","Local:fabrikam.com;3".
//
//   - Scope: "Local:" limits the connector to its own site; absent means the
//     whole organization.
//   - Type: "SMTP" when absent, "X400", or any other token (a foreign type
//     such as "FAX"). Types are stored upper-case.
//   - SMTP space: "*", a domain, or "*." followed by a domain. Domains follow
//     RFC 1035 host syntax (labels of 1–63 letters, digits and hyphens, no
//     leading or trailing hyphen, at most 255 characters); the wildcard is
//     only ever the whole leftmost label. Domains are stored lower-case
//     without a trailing dot, and Unicode domains are stored as A-labels
//     (RFC 5890) using the IDNA2008/UTS #46 lookup profile (see
//     CanonicalDomain).
//   - X400 space: RFC 1685 "attr=value" pairs separated by ";".
//   - Cost: 1 to 100, default 1. A non-SMTP space that contains ";" must end
//     with an explicit cost, because the cost is read after the last ";".
//
// An AddressSpace is a comparable value. String prints the canonical form
// used by the reference system's shell ("SMTP:*;1", "Local:SMTP:*.contoso.com;3"),
// and Parse(a.String()) == a for every parsed a. Failures are *ParseError
// values carrying the input, the byte offset and the reason; the parser never
// panics and is fuzzed.
//
// Matching follows the send-connector rules: "contoso.com" matches that
// domain only, "*.contoso.com" matches contoso.com and every subdomain, and
// "*" matches every domain. Choosing the best of several matching address
// spaces is the job of package routing.
package addrspace
