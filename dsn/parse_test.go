package dsn

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDeliveryStatusLenient(t *testing.T) {
	// LF endings, leading blank lines, odd case, folding, comments, angle
	// brackets, extension fields and extra blank lines between groups.
	in := "\n\nreporting-mta: DNS; mx.example.net\n" +
		"X-Postfix-Queue-ID: 4Q2\n" +
		"ARRIVAL-DATE: Tue, 10 Oct 2006 16:17:51 -0400\n" +
		"\n \n\n" +
		"final-recipient: RFC822;\n <rcpt@example.org>\n" +
		"ACTION: Failed (permanent)\n" +
		"status: 5.0.0 (relay denied)\n" +
		"Remote-MTA: dns;\n\tmx-s1.example.org\n" +
		"Diagnostic-Code: smtp; 550 relay\n  not permitted\n" +
		"Last-Attempt-Date: garbage\n" +
		"Final-Log-ID: abc\n" +
		"\n" +
		"Final-Recipient: x400; c=us;o=org\n" +
		"Action: delayed\n" +
		"Status: 4.4.1\n" +
		"Diagnostic-Code: X-Unix; timeout\n" +
		"Remote-MTA: x-local; pipe\n"
	got, err := ParseDeliveryStatus(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Report{
		ReportingMTA: "mx.example.net",
		ArrivalDate:  time.Date(2006, 10, 10, 20, 17, 51, 0, time.UTC),
		Recipients: []RecipientReport{{
			FinalRecipient: "RFC822;rcpt@example.org",
			Action:         Failed,
			Status:         Status{5, 0, 0},
			RemoteMTA:      "mx-s1.example.org",
			DiagnosticCode: "smtp; 550 relay not permitted",
		}, {
			FinalRecipient: "x400;c=us;o=org",
			Action:         Delayed,
			Status:         Status{4, 4, 1},
			RemoteMTA:      "x-local; pipe",
			DiagnosticCode: "X-Unix; timeout",
		}},
	}
	compareReports(t, got, want)
}

func TestParseDeliveryStatusErrors(t *testing.T) {
	const msg = "Reporting-MTA: dns; mx\r\n\r\n"
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank only", "\r\n\r\n"},
		{"no recipients", msg},
		{"first group is a recipient", "Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0\r\n"},
		{"no reporting mta", "Arrival-Date: Tue, 10 Oct 2006 16:17:51 -0400\r\n\r\nFinal-Recipient: rfc822; a@b\r\n"},
		{"missing final recipient", msg + "Action: failed\r\nStatus: 5.0.0\r\n"},
		{"missing action", msg + "Final-Recipient: rfc822; a@b\r\nStatus: 5.0.0\r\n"},
		{"unknown action", msg + "Final-Recipient: rfc822; a@b\r\nAction: bounced\r\nStatus: 5.0.0\r\n"},
		{"missing status", msg + "Final-Recipient: rfc822; a@b\r\nAction: failed\r\n"},
		{"bad status", msg + "Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 550\r\n"},
		{"no colon", msg + "Final-Recipient rfc822; a@b\r\n"},
		{"stray continuation", msg + "  continued\r\nAction: failed\r\n"},
		{"too large", msg + strings.Repeat("X-Pad: "+strings.Repeat("p", 90)+"\r\n", 50000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ParseDeliveryStatus(strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Kind != "delivery-status" {
				t.Fatalf("got %+v, %v; want *ParseError", rep, err)
			}
		})
	}
}

func TestParseMessage(t *testing.T) {
	const ds = "Reporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; a@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n"
	dsn := func(ct, partCT, cte, body string) string {
		return "From: MAILER-DAEMON@example.net\r\nContent-Type: " + ct + "\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: " + partCT + "\r\n" + cte + "\r\n" + body + "\r\n--b--\r\n"
	}
	b64 := "UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlLm5ldA0KDQpGaW5hbC1SZWNpcGllbnQ6IHJm\r\n" +
		"YzgyMjsgYUBleGFtcGxlLm9yZw0KQWN0aW9uOiBkZWxpdmVyZWQNClN0YXR1czogMi4wLjANCg==\r\n"
	good := []struct{ name, in string }{
		{"plain", dsn(`multipart/report; report-type=delivery-status; boundary="b"`, "message/delivery-status", "", ds)},
		{"case", dsn(`Multipart/Report; Report-Type=Delivery-Status; Boundary=b`, "Message/Delivery-Status", "", ds)},
		{"global", dsn(`multipart/report; report-type=delivery-status; boundary=b`, "message/global-delivery-status", "", ds)},
		{"base64", dsn(`multipart/report; report-type=delivery-status; boundary=b`, "message/delivery-status",
			"Content-Transfer-Encoding: base64\r\n", b64)},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if rep.ReportingMTA != "mx.example.net" || len(rep.Recipients) != 1 ||
				rep.Recipients[0].Action != Delivered || rep.Recipients[0].FinalRecipient != "rfc822;a@example.org" {
				t.Fatalf("report = %+v", rep)
			}
		})
	}
	notDSN := []struct{ name, in string }{
		{"plain text", "Subject: hi\r\n\r\nbody\r\n"},
		{"mixed", dsn(`multipart/mixed; boundary=b`, "message/delivery-status", "", ds)},
		{"mdn", dsn(`multipart/report; report-type=disposition-notification; boundary=b`, "message/delivery-status", "", ds)},
		{"no status part", dsn(`multipart/report; report-type=delivery-status; boundary=b`, "text/plain", "", ds)},
	}
	for _, tt := range notDSN {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(strings.NewReader(tt.in)); !errors.Is(err, ErrNotDSN) {
				t.Fatalf("err = %v, want ErrNotDSN", err)
			}
		})
	}
	if _, err := Parse(strings.NewReader(" bad\r\n\r\n")); err == nil || errors.Is(err, ErrNotDSN) {
		t.Fatalf("malformed header: %v", err)
	}
}

func TestSplitTyped(t *testing.T) {
	tests := []struct{ in, typ, val string }{
		{"rfc822;bob@x", "rfc822", "bob@x"},
		{"rfc822; bob@x ", "rfc822", "bob@x"},
		{"bob@x", "", "bob@x"},
		{"550 5.1.1 no; really", "", "550 5.1.1 no; really"},
		{`"a;b"@x`, "", `"a;b"@x`},
		{"", "", ""},
	}
	for _, tt := range tests {
		if typ, val := SplitTyped(tt.in); typ != tt.typ || val != tt.val {
			t.Errorf("SplitTyped(%q) = %q, %q", tt.in, typ, val)
		}
	}
}
