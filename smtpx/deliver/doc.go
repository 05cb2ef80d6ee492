// Package deliver is hubedge's outbound SMTP client: a queue.Deliverer that
// carries queued messages through send connectors: to smart hosts, to MX
// hosts found in DNS, or to the connector's source transport servers.
//
// A next hop (queue.NextHop) names a send connector and a Kind:
//
//   - KindSmartHost: the connector's smart hosts in order (RFC 5321 §5.1
//     does not apply; the administrator chose them). Host names are resolved
//     to A/AAAA addresses (the reference system says a smart host "may be MX
//     or A"; its address records are what is dialled), IP literals are
//     dialled directly, on the smart host's port or the connector's Port.
//   - KindDNS: the recipient domain's mail exchangers from package mx
//     (preference order, ties shuffled, implicit MX, RFC 7505 null MX),
//     with the transport's internal or external resolver as the connector's
//     UseExternalDNSServersEnabled says. Permanent DNS answers fail every
//     recipient of the hop (5.1.10, 5.1.2, 5.4.4, 5.4.6); transient ones defer
//     the hop.
//   - KindRelay: the connector is sourced on other transport servers; the
//     message goes to one of them (the list rotated per connection) over
//     mutual TLS with the transport's client certificate, the hubedge form
//     of Exchange server authentication.
//
// Every host is tried in turn until one accepts a session; connection
// errors, 4xx/5xx greetings and TLS or policy failures fail over to the next
// host, and when none is left Deliver returns a *HopError (451 4.4.0 with the
// primary host's answer, or the policy's 4.7.x), which the queue retries;
// the queue records that status as the recipients' last result (errors.As
// finds it as a *queue.Result), so DSNs and Get-Queue show one code.
//
// The session follows the connector's auth.ClientPolicy through auth.Plan:
// STARTTLS (RFC 3207) whenever offered unless IgnoreSTARTTLS, mandatory under
// RequireTLS, BasicAuthRequireTLS and ExchangeServer; certificate checks by
// TlsAuthLevel or against the smart host FQDN; AUTH PLAIN (RFC 4616), else
// LOGIN, with the connector's credentials (RFC 4954). Credentials are never
// sent before the checks the policy demands have passed, and a policy that
// cannot be met defers the hop: there is no fallback to plaintext.
// The session is spoken here rather than by go-smtp's client, which cannot
// upgrade opportunistically: the greeting, EHLO and STARTTLS on the raw
// connection, then on the TLS connection the fresh EHLO RFC 3207 §4.2
// requires and AUTH, whose exchange go-sasl's clients compute. A next hop
// that issues TLS session tickets is resumed on the next connection
// (WithTLSSessionCache; sessions are kept per next hop, and dropped when a
// check fails on one), which spares both sides the certificate and its
// signature; the policy's certificate checks run on every session, resumed
// or not.
//
// DNS-routed hosts are held to the strongest TLS policy that applies,
// decided per MX host before dialling:
//
//   - DANE (RFC 7672), when the resolver trusts its validator's AD bit
//     (mx.WithTrustAD, loopback only) and the MX, its addresses and its
//     "_25._tcp" TLSA records are all DNSSEC-secure: STARTTLS is mandatory
//     and the certificate must match a usable DANE-EE or DANE-TA record
//     (package dane); only unusable records mean encryption without
//     authentication. A failed TLSA lookup (SERVFAIL, bogus data) makes the
//     host unusable. An MX host that is a secure alias (CNAME) has its
//     records looked up at the alias target first, then at its own name;
//     where they were found is the SNI sent, and a DANE-TA-issued
//     certificate may name either (RFC 7672 §2.2.2, §3.2.3).
//   - MTA-STS (RFC 8461, package mtasts) for the other hosts, when the
//     domain publishes a policy: in enforce mode hosts the policy does not
//     list are skipped, and the others need STARTTLS and a certificate
//     valid for their name (WithRootCAs); in testing mode delivery goes on
//     and failures are only reported.
//   - Smart hosts given by name, like Postfix's relayhost under
//     smtp_tls_security_level = dane (RFC 7672 §2.2.3): DANE as above when
//     the connector has it on and the host's address records are secure,
//     with the records at "_port._tcp.host" for the port dialled; a
//     DANE-verified session then satisfies the connector's certificate
//     checks before AUTH. IP-literal smart hosts have no TLSA records;
//     MTA-STS applies to MX hosts only.
//   - Otherwise the connector's own settings (RequireTLS, TlsAuthLevel,
//     TlsDomain, IgnoreSTARTTLS). Under DANE or enforced MTA-STS RequireTLS
//     still holds, while the certificate checks are the policy's.
//
// A policy that is not met defers the host with a 4.7.x status whose
// text says which policy refused it and why (for example "DANE: no TLSA
// record matched the certificate of mx1.fabrikam.com"), never a plaintext
// fallback. WithDANE and WithMTASTS switch them off; WithTLSReporter
// counts every policy-held session for TLS-RPT (RFC 8460). The protocol
// log of a Verbose connector (WithProtocolLog) has a "*" line per session
// saying which policy held and why (context "TLS policy"), and one for
// each refusal (context "TLS policy refused the host"); a host refused
// before dialling gets a session of its own with that line alone. TLS
// reports this server mails (WithTLSReportSender) are the exception RFC
// 8460 §5.3 makes: they go out despite any TLS policy failure, under the
// connector's settings alone. Cached MTA-STS policies in use are renewed
// before they expire (WithMTASTSRefresh, RefreshMTASTS).
//
// The transaction honours the remote SIZE (RFC 1870: a message that is too
// large fails 5.3.4 before DATA), SMTPUTF8 (RFC 6531: 5.6.7 when needed and
// not offered), REQUIRETLS (RFC 8689: 5.7.10 unless the session is
// authenticated by DANE or an enforced MTA-STS policy, or, for a
// DNSSEC-secure MX or a smart host, by its certificate; 5.7.30 when not
// offered), and passes RET/ENVID and NOTIFY/ORCPT when the server offers
// DSN (RFC 3461). Every RCPT gets its own queue.Result; DATA is skipped when no
// recipient was accepted, and its reply becomes the Result of each accepted
// recipient. The transaction's commands are written here, not by go-smtp's
// client, which waits for each reply: when the server offers PIPELINING
// (RFC 2920) MAIL, the RCPTs and DATA go out in one write and the body in
// one more, and when it also offers CHUNKING (RFC 3030) a message of up to
// 32 KiB goes with the commands as one "BDAT n LAST", a single round trip;
// otherwise, and on protocol-logged sessions, each command is
// flushed and answered in turn. A 421 at any point ends the transaction
// and the session, and every recipient without a final answer gets it.
// The body streams from the queue through the send-side header
// firewall (perms.Firewall): header classes the connector's remote principal
// may not receive are removed (Internet usage strips X-MS-Exchange-
// Organization-* and -Forest-*, Internal usage keeps them, relays between
// our own servers keep everything).
//
// Connections are reused per next hop: after a message the connection waits
// idle, up to the connector's ConnectionInactivityTimeout, for the next
// message to the same hop, and carries at most SmtpMaxMessagesPerConnection
// messages. A reused connection needs no probe: MAIL shows whether it is
// still open, and one found closed is dialled afresh. Cancellation closes
// the connection, and every command is bounded by the configured timeouts.
//
// WithTrace reports what happened on the wire as structured Events (host
// dialled, TLS version and verified name, AUTH mechanism, headers stripped,
// per-recipient replies, connection reuse) for demos and protocol logs,
// and ends each delivery attempt with its duration and outcome (metrics).
package deliver
