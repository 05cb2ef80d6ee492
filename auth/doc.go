// Package auth decides how SMTP sessions authenticate, on both sides of a
// connector, without touching a socket.
//
// # Receive side
//
// A receive connector's AuthMechanism is a [Mechanism] set parsed from the
// administrators' spelling ("Tls, BasicAuth, BasicAuthRequireTLS,
// ExchangeServer") and checked by [Mechanism.Validate]. [Offer] says what the
// EHLO reply advertises for a connection state: STARTTLS until TLS is up, the
// SASL mechanisms PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) —
// none before STARTTLS under BasicAuthRequireTLS, where an AUTH attempt gets
// 538 5.7.11 (RFC 3207 §4, RFC 4954 §4) via [CheckAuthAllowed].
//
// Credentials are checked by an [Authenticator]; [NewStatic] (tests, small
// deployments) and [NewFile] / [LoadFile] (bcrypt hashes) are provided. The
// SASL servers [NewPlainServer] and [NewLoginServer] plug into go-sasl and
// therefore into go-smtp's AuthSession. A successful login yields an
// [Identity]: the user principal plus NT AUTHORITY\Authenticated Users.
//
// Server authentication (ExchangeServer in the set) is mutual TLS with direct
// trust: [PeerVerifier] accepts a client certificate that chains to a
// configured pool or equals a pinned certificate, and the session becomes a
// transport-server principal. This stands in for the reference system's
// Kerberos (X-EXPS) server authentication; Integrated (NTLM/Kerberos) is not
// supported and [Mechanism.Validate] rejects it with [ErrUnsupported].
//
// # Send side
//
// A send connector's SmartHostAuthMechanism ([SmartHostAuth]), RequireTLS,
// TlsAuthLevel ([TLSAuthLevel]), TlsDomain and IgnoreSTARTTLS form a
// [ClientPolicy]. [Plan] turns the policy, the smart host's EHLO
// [Extensions] and the [ClientState] into the next [Step]: STARTTLS, verify
// the certificate, AUTH with a mechanism, or proceed. Credentials are never
// sent before the checks the policy demands have passed; a policy that cannot
// be met returns a [*PolicyError], which callers turn into a 4.7.x deferral.
// [ClientPolicy.TLSConfig] and [ClientPolicy.VerifyPeer] implement the
// certificate checks. Without TLS, BasicAuth sends credentials only when
// AllowPlaintextAuth is set or the smart host is loopback (the policy of
// net/smtp.PlainAuth).
//
// The package imports go-sasl but not go-smtp: mapping its sentinel errors to
// SMTP replies (535 5.7.8, 538 5.7.11, 454 4.7.0) is the caller's job.
package auth
