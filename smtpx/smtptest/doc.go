// Package smtptest provides loopback servers for testing mail transport
// code, in the spirit of net/http/httptest: a recording SMTP sink, an
// in-memory certificate authority, and a raw SMTP client for testing
// servers; the DNS server they resolve through is package mx/mxtest's.
// Everything listens on 127.0.0.1:0, is ready when its constructor
// returns, and is shut down through t.Cleanup, so tests need no sleeps
// and leak no goroutines.
//
//	pki  := smtptest.NewPKI(t)
//	sink := smtptest.NewSink(t, smtptest.WithPKI(pki, "mx1.fabrikam.com"),
//		smtptest.RequireTLS(), smtptest.RequireAuth("user", "pass"))
//	dns  := mxtest.NewDNS(t,
//		mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"),
//		mxtest.A("mx1.fabrikam.com", "127.0.0.1"))
//	sink.Script("bob@fabrikam.com", "450 4.2.0 busy", "250 ok")
//	// ... deliver through code that resolves via dns.Addr() ...
//	msgs, err := sink.WaitMessages(ctx, 1)
//
// # Sink
//
// Sink is a go-smtp server (RFC 5321, LMTP per RFC 2033 with the LMTP
// option) that records each accepted message with its envelope, parsed
// header, raw body, TLS facts (STARTTLS per RFC 3207, SNI, client
// certificates) and AUTH facts (RFC 4954, PLAIN per RFC 4616 and LOGIN).
// Transcript returns every line clients sent, including those inside
// TLS, so a test can prove that credentials never reached the server.
// Replies can be scripted per recipient and per message, and options
// stage faults: TLS or AUTH required (530 5.7.0), no STARTTLS, a refused
// or hanging greeting, a SIZE limit (RFC 1870), hooks on DATA. Stop and
// Start take the sink down and bring it back on the same port, to stage
// a smart host that is down and comes back.
//
// # PKI
//
// PKI issues ECDSA P-256 certificates for any DNS names and IP
// addresses under one test root, with ready-made server and client
// tls.Config values for STARTTLS and mutual TLS. SelfSigned serves
// programs that have no TB.
//
// # Client
//
// Client speaks to an SMTP server byte for byte, for the tests a client
// library cannot express: pipelining (RFC 2920), command smuggling and
// bare LF, over-long lines, a DATA or BDAT body left half-written, and
// how the server ends the connection. Cmd, Send and Data return each
// reply as "code text" with multi-line texts joined by "\n", or "EOF";
// Expect runs a script of commands and wanted reply prefixes; StartTLS
// upgrades per RFC 3207. Every read and write has a deadline, so a
// silent server fails a test instead of hanging it. Closed(d) reports
// that the server closed the connection (discarding what it sent
// first); Wait(d) tells a close apart from silence and from more data,
// for tests that need the server to say nothing more.
//
// # Recorder
//
// Recorder is a queue.Deliverer that accepts every recipient and records
// each message (next hop, envelope, recipients, body), for a transport
// under test whose deliveries should stay in the process; Wait returns
// them in order.
//
// # Connectors and transports
//
// ReceiveConnector, InternetConnector and CustomConnector build receive
// connectors on a free port of 127.0.0.1 without tarpit, SendConnector a
// send connector for some address spaces; each takes edits of the
// connector's configuration (func(*connector.ReceiveConfig) or
// func(*connector.SendConfig)) applied before it is built, such as
// AnonymousRelay or SmartHost(sink). NewTransport starts a transport
// with them that lives as long as the test.
//
// Constructors take a TB, the subset of testing.TB the harness needs
// (the same as mxtest's); programs and examples outside go test pass a
// Standalone and Close it when done.
package smtptest
