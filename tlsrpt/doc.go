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
// To deliver the reports as well, take them with TakeDue (WriteReports
// still writes the files) and give them to a Mailer: it reads each policy
// domain's "_smtp._tls" TXT record (RFC 8460 §3) and mails the report to
// its mailto: addresses (§5.3: gzip'd application/tlsrpt+gzip attachment,
// TLS-Report-Domain and TLS-Report-Submitter fields, the Subject the RFC
// gives) through a submit function of the caller's, such as a queue's
// Enqueue, and posts it to its https: URIs (§5.2).
//
//	reports := rec.TakeDue()
//	files, err := tlsrpt.WriteReports(dir, "edge1.contoso.com", reports)
//	m := &tlsrpt.Mailer{From: "tlsrpt-noreply@contoso.com", Submitter: "edge1.contoso.com",
//		LookupTXT: resolver.LookupTXT, Submit: submit, HTTP: http.DefaultClient}
//	sent, err := m.Send(ctx, reports)
package tlsrpt
