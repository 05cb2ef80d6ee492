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
// Each accepted connection is matched with its receive connector
// (connector.Set.Select) and served with that connector's FQDN,
// certificate, limits, rights and relay rules; "250 2.6.0 <id> Queued
// mail for delivery" is sent only once the Queue has the message. The
// server refuses to relay without Accept-Any-Recipient, refuses
// recipients it could only bounce (WithRecipientCheck), detects loops
// (WithLoopDetection), runs transport agents on each command
// (WithAgents), refuses mail under back pressure (WithBackPressure) and
// takes new receive connectors while it runs (Reconfigure). README.md in
// this directory describes every command, limit, reply and deviation.
package smtpx
