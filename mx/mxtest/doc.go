// Package mxtest provides a real DNS server on loopback for testing code
// that resolves mail routes, in the spirit of net/http/httptest: package
// mx's own tests use it, and so does every harness above mx. It imports
// nothing of hubedge, so any package may use it in its tests.
//
// Start a server with the records it serves and point a resolver at it:
//
//	srv := mxtest.NewDNS(t,
//		mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"),
//		mxtest.A("mx1.fabrikam.com", "127.0.0.1"))
//	r, err := mx.New(mx.WithServers(srv.Addr()))
//
// The server listens on 127.0.0.1 on UDP and TCP at the same port, is
// ready when NewDNS returns and stops at t.Cleanup. It answers
// authoritatively from its records: MX (with RFC 7505 null MX), A, AAAA,
// CNAME (chains followed), TXT, TLSA and records in zone-file syntax
// (Zone); NXDOMAIN for unknown names, NODATA for known names without the
// asked type, truncation of large UDP answers. Faults are records too:
// ServFail, Timeout and Truncate. StopAtCNAME and ClaimAD make it answer
// as the resolvers a client meets do, and Queries and WaitQueries show
// what it was asked.
//
// For DNSSEC, SignedZone signs a zone's records (with NSEC denials) and
// StartUnbound runs NLnet Labs unbound on loopback as a validating
// resolver in front of the server.
//
// Constructors take a TB, the subset of testing.TB they need; programs
// and examples outside go test pass a Standalone and Close it when done.
package mxtest
