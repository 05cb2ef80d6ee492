// Package dane authenticates an SMTP server's TLS certificate against its
// DNSSEC-validated TLSA records, as RFC 7672 (DANE for SMTP) and RFC 7671
// prescribe.
//
// Only the two usages RFC 7672 §3.1 allows for SMTP count: DANE-EE(3), a
// match on the server's own certificate or public key, where names and
// validity dates are ignored; and DANE-TA(2), a match on a trust anchor
// the server sends in its chain, from which the leaf is validated as usual
// (dates, signatures) and must name the MX host. Selectors Cert(0) and
// SPKI(1) and matching types Full(0), SHA2-256(1) and SHA2-512(2) are
// supported; records with any other value, PKIX usages, or digests of the
// wrong length are unusable and ignored (RFC 7672 §3.1.3, RFC 7671 §4).
//
// How to start: look the records up with mx.Resolver.LookupTLSA, keep
// them only when the answer is Secure, filter them with Usable, and, if
// any remain, require STARTTLS and call Verify on the handshake's chain:
//
//	usable := dane.Usable(res.Records)
//	if len(usable) > 0 {
//		cfg.InsecureSkipVerify = true // the chain is judged by DANE, not WebPKI
//		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
//			_, err := dane.Verify(usable, cs.PeerCertificates, []string{mxHost}, time.Now())
//			return err
//		}
//	}
//
// A host with usable records must never get mail without a verified TLS
// session; that decision belongs to the caller (smtpx/deliver defers it).
package dane
