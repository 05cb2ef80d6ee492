// Package postfixtest runs a throwaway Postfix instance next to a test, so
// hubedge can be checked against a real, widely deployed MTA on loopback.
//
// Start writes a complete instance of its own under a short directory in
// /tmp (config_directory, queue_directory, data_directory, a Maildir base,
// a Cyrus sasldb and the log file), listening on one free 127.0.0.1 port,
// and stops and removes it through t.Cleanup. Nothing of the system
// Postfix is used or touched apart from its binaries.
//
//	pf := postfixtest.Start(t,
//		postfixtest.WithHostname("mx.fabrikam.example"),
//		postfixtest.WithTLS(pki.Certificate("mx.fabrikam.example")),
//		postfixtest.WithMailboxDomains("fabrikam.example"))
//	// ... deliver to pf.Addr() ...
//	msgs, err := pf.WaitMessages(ctx, 1)
//
// An instance plays the roles real deployments give Postfix:
//
//   - a downstream server: WithMailboxDomains delivers every recipient of
//     those domains to a Maildir (virtual(8)) that Messages reads back,
//     with the Received header Postfix writes (ESMTP, ESMTPS with TLS per
//     RFC 3848, ESMTPSA when authenticated);
//   - a STARTTLS server (RFC 3207): WithTLS presents a given certificate,
//     RequireTLS refuses mail without it;
//   - a smart host: WithSASLUser makes AUTH (RFC 4954) over Cyrus SASL
//     sasldb mandatory for relaying, offered only after STARTTLS when TLS
//     is configured (smtpd_tls_auth_only), and WithRelayHost relays what
//     authenticated clients submit to a next hop such as an smtptest.Sink.
//
// The smtpd of every instance logs the client side of each SMTP dialogue
// (debug_peer_list = 127.0.0.1) into a private maillog_file, so a test can
// assert which commands a client sent, including inside TLS: Commands,
// Log and WaitLog read it.
//
// Postfix must run as root and needs the postfix binaries, the postfix
// user and the postdrop group (Debian: apt-get install postfix, plus
// sasl2-bin and libsasl2-modules for SASL). When any of them is missing,
// Start calls t.Skip, so plain go test stays green on machines without
// Postfix.
package postfixtest
