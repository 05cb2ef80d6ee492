// Package smtpx is hubedge's SMTP server: receive connectors on the wire
// (RFC 5321, with PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8, DSN,
// ENHANCEDSTATUSCODES, STARTTLS, AUTH, REQUIRETLS and LIMITS), sessions
// enforcing the connectors' rights, limits and relay rules, and each
// accepted message handed to a Queue (*queue.Queue is one) before the
// 250. It is usable alone, the way net/http's Server is:
//
//	q, err := queue.Open(dir, queue.WithRouter(r), queue.WithDeliverer(d))
//	s, err := smtpx.NewServer(q,
//		smtpx.WithServerName("mx.contoso.com"),
//		smtpx.WithReceiveConnector(fromInternet),
//		smtpx.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com"}),
//		smtpx.WithTLSCertificate(cert), smtpx.WithAuthenticator(users))
//	err = s.Start(ctx)
//	addr := s.Addr("From Internet")
//	err = s.Shutdown(ctx) // then close the queue
//
// A whole hub or edge (routing, the queue, outbound and mailbox delivery
// composed with this server) is package transport.
//
// # Connections
//
// One socket is opened per distinct binding of the enabled receive connectors.
// Each accepted connection is matched with connector.Set.Select (the most
// specific binding, then the narrowest remote range); without a match it is
// answered "554 5.7.1" and closed before any command is read.
// MaxInboundConnection and MaxInboundConnectionPerSource are enforced per
// connector ("421 4.3.2"). Each connection is served on a goroutine of its own
// with its connector's FQDN, TLS certificate and limits. The greeting is the
// connector's Banner, or "220 <fqdn> ESMTP MAIL Service ready at <date>".
// ConnectionInactivityTimeout applies to every read and write, message bodies
// included ("421 4.4.2" between commands), and ConnectionTimeout caps the
// whole session.
//
// Replies gather until the client has nothing more buffered, so a
// pipelining client (RFC 2920) gets the replies to a group of commands in
// one write. A command line, and a line of a message, may be 2000 octets:
// a longer command line is answered "500 5.5.2 Line too long" and counted
// as a protocol error, and the session goes on at the next line; a longer
// line of a message ends the session after "500 5.5.2". Only <CR><LF>.<CR><LF> ends
// DATA: a bare LF or CR is data, so a message cannot smuggle another past
// a server that reads line ends differently. Whatever a client pipelines
// behind STARTTLS in plain text is dropped (CVE-2011-0411). A BDAT
// transfer that the client leaves for another command is abandoned and the
// command served.
//
// # Sessions
//
// The EHLO reply offers exactly what auth.Offer allows for the connection:
// STARTTLS while the connector has Tls and a certificate, AUTH PLAIN LOGIN with
// BasicAuth, withheld before TLS under BasicAuthRequireTLS, where AUTH gets
// "538 5.7.11" (RFC 4954 §6). Wrong credentials get "535 5.7.8". A session is
// evaluated as anonymous, as the user it logged in as (with its groups), as
// Externally Secured Servers on an ExternalAuthoritative connector, or as a
// transport server after mutual TLS with a certificate auth.PeerVerifier
// trusts (ExchangeServer); its rights come from the connector's ACL.
//
//   - MAIL needs Ms-Exch-SMTP-Submit ("530 5.7.1 Client was not
//     authenticated"); RequireTLS connectors want STARTTLS first ("530 5.7.0
//     Must issue a STARTTLS command first"); a sender in an authoritative
//     accepted domain needs Accept-Authoritative-Domain-Sender or a user login
//     ("550 5.7.1"); SIZE over MaxMessageSize is "552 5.3.4" unless the
//     session may bypass it. A non-ASCII sender or recipient without the
//     SMTPUTF8 parameter is "553 5.6.7" (RFC 6531 §3.4).
//   - RCPT accepts accepted-domain recipients (for authoritative domains
//     the RecipientChecker, when one is configured, refuses unknown ones
//     with "550 5.1.1" and addresses that can never be delivered, such as
//     local parts "a/b" or "..", with "550 5.1.3"; without one every
//     valid address is accepted); any other domain
//     needs Accept-Any-Recipient ("550 5.7.1 Unable to relay"). The domain
//     judged is the real final one (source routes are dropped, the last '@'
//     counts), and local parts holding '%', '!' or '@' are relayed only with
//     Accept-Any-Recipient. Beyond MaxRecipientsPerMessage: "452 4.5.3",
//     neither counted nor tarpitted: the transaction goes on with the
//     recipients accepted, and the client sends the others in another one.
//   - DATA and BDAT stream the message: the size limit applies while reading
//     ("552 5.3.4"), the header block is bounded by MaxHeaderSize, more Received
//     fields than MaxHopCount (or local ones beyond MaxLocalHopCount) are
//     "554 5.4.14", a message that has already passed through this transport
//     20 times is "554 5.4.6 Routing loop detected" (WithLoopDetection; it
//     needs no Received field, which a send connector may strip), the
//     receive-side header firewall removes the classes the
//     session may not bring in, a Received field is stamped (RFC 5321 §4.4,
//     "with ESMTP/ESMTPS/ESMTPSA", RFC 3848, or "with UTF8SMTP[S][A]" under
//     SMTPUTF8, RFC 6531) followed after the firewall by
//     X-MS-Exchange-Organization-AuthAs, -AuthSource and -AuthMechanism, and
//     the message goes to the Queue. "250 2.6.0 <id> Queued mail for
//     delivery" is sent only after EnqueueWithID returned, so never before
//     the message is durable.
//
// Every 4xx/5xx reply counts as a protocol error, syntax and sequence
// errors as well as the sessions' refusals, before and after STARTTLS;
// one function decides it from the reply alone. Not counted are 421,
// "452 4.5.3" for recipients over the limit, replies reporting this
// server's own trouble (4.3.x, x.4.2, 454 4.7.0) and transport agents'
// verdicts. Failed logons (535 to AUTH) also count against
// MaxLogonFailures; at MaxProtocolErrors or MaxLogonFailures the error is
// followed by "421 4.7.0 Too many errors on this connection" and the
// connection closes (RFC 5321 §3.8). Errors to unauthenticated clients are delayed
// by TarpitInterval. RequireEHLODomain refuses (and disconnects) an EHLO/HELO
// without a domain or address literal. Replies are *smtp.SMTPError values
// (go-smtp's type, which package smtpx/deliver's client side uses too), and
// every error a session meets becomes one through Status.
//
// # Transport agents
//
// WithAgents runs an agent.Chain in every receive session: each SMTP event
// asks the agents enabled on the session's connector, in their priority,
// and an agent's reply is written instead of the session's own (a
// Disconnect reply closes the connection). At end of headers agents see the
// fields the receive-side header firewall kept, so an SCL they set survives
// while a forged one does not; at end of data they see the whole body
// (spooled: in memory up to 1 MiB, then in an unlinked temporary file), and
// what is queued is the message as they left it: their fields, their
// recipients (added, redirected, dropped with an NDR queued to the sender),
// the quarantine mailbox, or nothing at all for a discarded message, which
// is still answered 250. A slow agent is answered 451 4.7.0 unless it was
// registered fail-open, and a panic in one is answered 451 too: the session
// goes on. Connections on a connector with no agent enabled pay a nil check
// per event and stream their bodies as before.
//
// The chain's routing agents are run by package transport, when the queue
// routes a message.
//
// # Running changes and back pressure
//
// Server.Reconfigure replaces the receive connectors and accepted domains
// of a running server: everything is checked before anything changes, a
// session keeps the configuration it was admitted under, and sockets are
// opened and closed only for bindings that come and go.
//
// WithBackPressure watches a disk (the queue's) and the process's memory
// (normal, medium and high levels with the reference system's defaults):
// above a level, MAIL is answered "452 4.3.1 Insufficient system
// resources" (from anonymous sessions at Medium, from all at High) while
// queued mail keeps being delivered, until the use falls below the level
// under it.
//
// # Deviations and choices
//
// When a principal of a connector holds Bypass-Message-Size-Limit (Internal
// and ExternalAuthoritative connectors), EHLO advertises SIZE without a value
// (the reference system's SizeEnabled=EnabledWithoutValue): an advertised
// limit would bind every session, while only some may exceed it. Sessions
// enforce MaxMessageSize themselves.
//
// The ID in the Received field is the queue ID (reserved with queue.NewID
// before the header is written), so a trace names the message an administrator
// finds with Get-Message. The AuthMechanism values are hubedge's (the
// reference system publishes no table): 06 for a SASL login, 04 for server
// authentication, 03 for Externally Secured; anonymous sessions get none.
// Reply texts follow the reference system where its documentation gives them
// ("250-<fqdn> Hello [<ip>]", "250 2.1.0 Sender OK", "250 2.1.5 Recipient OK",
// "220 2.0.0 SMTP server ready", "235 2.7.0 Authentication successful");
// sequence errors are "503 5.5.1" (RFC 5321 §4.3.2).
package smtpx
