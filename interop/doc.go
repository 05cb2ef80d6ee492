// Package interop holds hubedge's interoperability tests against real
// peers on loopback. It has no code of its own: the tests are in files
// built only with the interop build tag, which CI always sets:
//
//	go test -tags interop -race ./interop/...
//
// The peers are the ones users deploy next to an Exchange-style transport:
//
//   - swaks as an SMTP client against hubedge's receive connectors:
//     STARTTLS (RFC 3207), AUTH PLAIN and LOGIN over TLS (RFC 4954, RFC
//     4616), no AUTH before TLS under BasicAuthRequireTLS (538 5.7.11),
//     anonymous relay refused (550 5.7.1);
//   - Postfix (internal/postfixtest) as a downstream server that
//     hubedge's send connector reaches through MX records over STARTTLS,
//     with the message read back from Postfix's Maildir;
//   - Postfix as a DANE MX host (RFC 7672): its certificate's TLSA record
//     (DANE-EE 3 1 1) published in a DNSSEC-signed zone behind a real
//     unbound, delivered over TLS; a mismatching record defers the message
//     and Postfix never sees MAIL (needs unbound); and as a SASL smart
//     host by name with a TLSA record for its port, where DANE stands for
//     the certificate check before AUTH, and a mismatch defers before it;
//   - Postfix as a smart host requiring SASL AUTH (Cyrus sasldb) over
//     TLS, for BasicAuth and BasicAuthRequireTLS, and with a certificate
//     for the wrong name, where Postfix's own log proves hubedge never
//     sent AUTH.
//
// Each test skips when its peer is missing (swaks not on PATH; Postfix
// binaries, root, or sasl2-bin absent), so the tag is safe on any machine.
// Debian/Ubuntu setup:
//
//	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
//	DEBIAN_FRONTEND=noninteractive apt-get install -y postfix swaks sasl2-bin libsasl2-modules
package interop
