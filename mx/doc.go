// Package mx resolves the next hops for SMTP delivery with
// github.com/miekg/dns: the mail exchangers of a recipient domain, or the
// addresses of a smart host, queried against configurable DNS servers
// (by default those of /etc/resolv.conf).
//
// Behaviour:
//
//   - RFC 5321 §5.1: MX records in ascending preference, ties shuffled;
//     no MX means the implicit MX (the domain's own A/AAAA records); if one
//     of our own names is in the list, records at its preference or worse
//     are discarded, and nothing left means a mail loop.
//   - RFC 7505: a lone MX with target "." (null MX) means the domain
//     accepts no mail: permanent 556 5.1.10.
//   - RFC 1035 §4 and RFC 7766: queries over UDP with EDNS0 (RFC 6891),
//     repeated over TCP when the reply is truncated; servers tried in order,
//     each query bounded by a timeout and by the caller's context.
//   - RFC 1034 §3.6.2 / RFC 2181 §10: CNAMEs followed for the domain and,
//     tolerantly, for MX targets, up to a depth; MX targets written as IP
//     addresses are accepted.
//   - RFC 5890/5891: Unicode domains are looked up as A-labels.
//   - RFC 3463: every failure maps to an enhanced status code via Reply:
//     NXDOMAIN 5.1.2, null MX 5.1.10, loop 5.4.6, no address 5.4.4 (all
//     permanent); SERVFAIL, timeouts, network errors and broken CNAME
//     chains 4.4.3 (transient).
//   - RFC 7672 §2.2 / RFC 6698: LookupTLSA finds the TLSA records of a mail
//     exchanger; with WithTrustAD (a validating resolver on loopback) Host
//     and TLSAResult say whether their answers were DNSSEC-validated, which
//     DANE needs.
//
// Usage:
//
//	r, err := mx.New(mx.WithLocalNames("edge1.contoso.com"))
//	if err != nil { ... }
//	hosts, err := r.LookupMX(ctx, "fabrikam.com")
//	if err != nil {
//		reply, permanent := mx.Reply(err) // e.g. 556 5.1.10, true
//		...
//	}
//	for _, h := range hosts { /* dial h.Addrs on port 25, in order */ }
//
// Why some failures are permanent: NXDOMAIN, NODATA and a null MX are
// definitive answers from the domain's own servers (negative answers are
// cacheable facts, RFC 2308), so retrying only delays the bounce. Every
// failure to get an answer is transient. A CNAME loop is treated as
// transient, like other malformed DNS data, so the owner can fix it
// before the message expires. Address-based loop detection (an MX resolving
// to one of our own IPs) is left to the delivery layer, which knows its
// listeners.
package mx
