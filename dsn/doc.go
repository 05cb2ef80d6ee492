// Package dsn builds and parses delivery status notifications.
//
// It covers three RFCs:
//
//   - RFC 3461 (SMTP DSN extension): the NOTIFY, RET, ORCPT and ENVID
//     parameters ([ParseNotify], [ParseRet], [ParseORCPT], [ParseEnvID]) and
//     their xtext encoding ([AppendXText], [EncodeXText], [DecodeXText],
//     [DecodeXTextStrict]), the one codec both ends of an SMTP session use.
//   - RFC 3463 enhanced status codes ([Status], [ParseStatus]).
//   - RFC 3464 / RFC 6522 delivery status notifications: [Write] produces a
//     multipart/report; report-type=delivery-status message with a
//     human-readable part, a message/delivery-status part and the original
//     message (message/rfc822 under RET=FULL, text/rfc822-headers
//     otherwise); [Parse] and [ParseDeliveryStatus] read them back into a
//     [Report].
//
// Generated notifications follow the behaviour hubedge reproduces from
// Exchange transport:
//
//   - the header firewall strips X-MS-Exchange-Organization-*,
//     X-MS-Exchange-Forest-* and routing headers (Received, Resent-*) from
//     the attached original; the check is a plain prefix match done here, so
//     that dsn stays free of the perms package;
//   - the original body is streamed, never held in memory, and capped at
//     [Notification.MaxOriginal] bytes (default 10 MiB, Exchange's
//     DsnMaxMessageAttachSize);
//   - the notification carries Auto-Submitted: auto-replied (RFC 3834) and
//     is never addressed to the null sender ([ErrNullSender]);
//   - every line ends in CRLF and is at most 998 octets long (RFC 5322
//     §2.1.1); longer lines of the original are broken, header lines by
//     folding.
//
// Reports whose values contain UTF-8 (SMTPUTF8 addresses) are labelled
// message/global-delivery-status (RFC 6533) and 8bit; addresses keep their
// given type rather than being rewritten to RFC 6533's utf-8 type.
//
// Values in a [RecipientReport] use the typed form of RFC 3464:
// addresses are "rfc822;user@example.com" and diagnostics
// "smtp; 550 5.1.1 User unknown". [Write] adds the default type
// (rfc822, smtp) to bare values. MTA names are bare host names when their
// type is dns, and "type; name" otherwise.
//
// A typical NDR:
//
//	err := dsn.Write(w, &dsn.Notification{
//		From: "postmaster@contoso.com",
//		To:   "alice@contoso.com",
//		Report: dsn.Report{
//			ReportingMTA: "mx1.contoso.com",
//			Recipients: []dsn.RecipientReport{{
//				FinalRecipient: "bob@fabrikam.com",
//				Action:         dsn.Failed,
//				Status:         dsn.Status{Class: 5, Subject: 1, Detail: 1},
//				RemoteMTA:      "mx.fabrikam.com",
//				DiagnosticCode: "smtp; 550 5.1.1 User unknown",
//			}},
//		},
//		Original: body,
//	})
package dsn
