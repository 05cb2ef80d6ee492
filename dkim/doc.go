// Package dkim signs outgoing mail and verifies incoming mail with DKIM
// (RFC 6376), using github.com/emersion/go-msgauth for the cryptography
// and canonicalization, with RSA-SHA256 and Ed25519-SHA256 keys.
//
// A Signer holds one key per organization domain and picks the key of the
// From domain (or of its closest parent that has one), so that the
// signature aligns with the author as DMARC wants. The send side calls
// Signature on the message as it will leave, after the send-side header
// firewall, and writes the field before the message:
//
//	s, err := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "edge1", Signer: priv})
//	field, ok, err := s.Signature(bytes.NewReader(msg)) // "DKIM-Signature: ...\r\n"
//
// The receive side registers a Verifier as an agent: at end of headers it
// removes Authentication-Results fields that claim to come from this
// server (forged by the sender, RFC 8601 §5); at end of data it verifies
// every signature and stamps one Authentication-Results field (RFC 8601)
// with a dkim= result per signature, or dkim=none.
package dkim
