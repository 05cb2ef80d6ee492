// Package tlsrpt counts the outcome of outbound TLS sessions per policy
// domain and writes the daily aggregate reports of SMTP TLS Reporting
// (RFC 8460) as JSON files.
//
// How to start: build a Recorder, tell it about every session a delivery
// attempts (Success, or Failure with a result type such as
// ResultDANERequired), and call WriteDue once in a while (daily is enough):
// it writes one report per policy domain for each UTC day that has ended,
// named as RFC 8460 §5.3 names attachments, and forgets those days.
//
//	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com")
//	rec.Failure(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "fabrikam.com"},
//		tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure, ReceivingMX: "mx1.fabrikam.com"})
//	files, err := rec.WriteDue("/var/spool/hubedge/tlsrpt", "edge1.contoso.com")
//
// Mailing the files to the rua addresses of the domain's "_smtp._tls" TXT
// record is not done here: ParseRUA reads the record for whoever sends them.
package tlsrpt
