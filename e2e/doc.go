// Package e2e is hubedge's adversarial end-to-end suite (issue 10): whole
// transports built with smtptest.NewTransport, driven on 127.0.0.1 by raw
// SMTP scripts (net/textproto) and go-smtp clients, delivering to
// smtptest sinks and DNS servers that stage faults.
//
// "No one gets in": the open-relay battery (RFC 5321 §3.6 source routes,
// '%' and '!' hacks, quoted local parts, address literals, trailing dots,
// accepted domains as suffixes, forged authoritative senders), AUTH policy
// (RFC 4954 §6: no AUTH before TLS under BasicAuthRequireTLS, 538 5.7.11;
// 535 5.7.8 with tarpit and disconnect after the logon-failure limit), the
// receive-side header firewall (case, folding, whitespace before the colon,
// repetition, position; the body never touched), and limits (SIZE by DATA
// and BDAT per RFC 1870/3030, recipients, line length, protocol errors,
// inactivity, connection floods) each while another client is served.
//
// "Nothing is lost": delivery faults through a smart-host send connector
// (host down then back, 421 greeting, 4xx after DATA, 5xx per recipient
// with a DSN, hanging host, failed TLS handshake, DNS SERVFAIL and
// timeouts), asserting the message stays queued and is delivered once the
// fault clears; a full disk on enqueue (a tmpfs queue dir, root only: 452
// 4.3.1, still serving, only acknowledged messages after a restart);
// corrupted queue.db and queue.wal (queue.Open in a child process: a clear
// error or every acknowledged message intact) and a torn final log record
// (everything acknowledged before it recovered). BasicAuthRequireTLS to a
// smart host with a wrong-name certificate sends no AUTH (its transcript).
//
// "The edge judges": transport agents in a receive session (issue 20): a
// client a DNS block list names refused at RCPT, an unknown recipient
// 550 5.1.1, an SPF fail rejected by Sender ID, GTUBE scored by a real
// rspamd over the milter protocol and quarantined or deleted at its SCL
// (skipped where rspamd is not installed), and an outbound message
// DKIM-signed at the edge that verifies at the receiving sink; routing
// agents in the categorizer: a recipient redirected at OnResolvedMessage,
// and the submitted, routed and categorized events seen in order with the
// recipients and their next hops.
//
// FuzzSession feeds random command streams into a session; run it longer
// with: go test ./e2e -run '^$' -fuzz FuzzSession -fuzztime 5m
//
// The package holds tests only.
package e2e
