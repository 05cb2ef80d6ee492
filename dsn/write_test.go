package dsn

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var (
	t0      = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	longTxt = strings.Repeat("x", 1200)
)

const origHeaders = "Received: from client.contoso.com (10.0.0.5) by mx1.contoso.com\r\n" +
	"\twith ESMTPS; Fri, 14 Mar 2025 09:00:00 +0000\r\n" +
	"X-MS-Exchange-Organization-SCL: -1\r\n" +
	"X-MS-Exchange-Organization-AuthAs: Internal\r\n" +
	"x-ms-exchange-forest-rulesexecuted: mx1\r\n" +
	"Resent-From: relay@contoso.com\r\n" +
	"From: Alice <alice@contoso.com>\r\n" +
	"To: bob@fabrikam.com, carol@fabrikam.com\r\n" +
	"Subject: Quarterly report\r\n" +
	"Message-ID: <orig-1@contoso.com>\r\n" +
	"X-Custom: kept\r\n"

// goldenCase is one notification written to testdata/<name>.eml.
type goldenCase struct {
	name     string
	n        Notification
	origBody string // body as it must appear after normalisation, "" if not attached
	subject  string
}

func goldenCases() []goldenCase {
	failure := Report{
		ReportingMTA:    "mx1.contoso.com",
		ReceivedFromMTA: "client.contoso.com",
		EnvID:           "QQ314159",
		ArrivalDate:     t0.Add(-26 * time.Minute),
		Recipients: []RecipientReport{{
			FinalRecipient:    "rfc822;bob@fabrikam.com",
			OriginalRecipient: "rfc822;Bob@Fabrikam.com",
			Action:            Failed,
			Status:            Status{5, 1, 1},
			RemoteMTA:         "mx.fabrikam.com",
			DiagnosticCode:    "smtp; 550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found",
			LastAttempt:       t0.Add(-time.Minute),
		}, {
			FinalRecipient: "rfc822;carol@fabrikam.com",
			Action:         Failed,
			Status:         Status{5, 4, 4},
			DiagnosticCode: "smtp; 554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain; the " +
				"remote server said something long enough that the field must be folded over several lines",
		}},
	}
	full := failure
	full.Recipients = failure.Recipients[:1]
	delay := Report{
		ReportingMTA: "mx1.contoso.com",
		ArrivalDate:  t0.Add(-4 * time.Hour),
		Recipients: []RecipientReport{{
			FinalRecipient: "rfc822;dave@northwind.example",
			Action:         Delayed,
			Status:         Status{4, 4, 7},
			RemoteMTA:      "mx.northwind.example",
			DiagnosticCode: "smtp; 451 4.4.0 Primary target IP address responded with: \"421 4.3.2 Service not available\"",
			LastAttempt:    t0.Add(-5 * time.Minute),
			WillRetryUntil: t0.Add(44 * time.Hour),
		}},
	}
	fullOrig := strings.ReplaceAll(origHeaders, "Subject: Quarterly report", "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=") +
		"\r\nHello Bob,\nbare LF line\rbare CR line\r\n" + longTxt + "\r\nlast line without newline"
	return []goldenCase{{
		name: "failure-headers",
		n: Notification{
			From: "postmaster@contoso.com", To: "alice@contoso.com", Date: t0,
			MessageID: "<ndr-1@mx1.contoso.com>", Boundary: "dsn-boundary-1", Report: failure,
			Original: strings.NewReader(origHeaders + "\r\nThe body is not returned.\r\n"),
		},
		subject: "Undeliverable: Quarterly report",
	}, {
		name: "failure-full",
		n: Notification{
			From: "Mail Delivery System <MAILER-DAEMON@mx1.contoso.com>", To: "<alice@contoso.com>", Date: t0,
			MessageID: "ndr-2@mx1.contoso.com", Boundary: "dsn-boundary-2", Report: full,
			Original: strings.NewReader(fullOrig), ReturnFull: true,
		},
		origBody: "Hello Bob,\r\nbare LF line\r\nbare CR line\r\n" + longTxt[:998] + "\r\n" + longTxt[998:] +
			"\r\nlast line without newline\r\n",
		subject: "Undeliverable: Grüße",
	}, {
		name: "delay",
		n: Notification{
			From: "postmaster@contoso.com", To: "alice@contoso.com", Date: t0,
			MessageID: "<delay-1@mx1.contoso.com>", Boundary: "dsn-boundary-3", Report: delay,
			Original: strings.NewReader(origHeaders + "\r\nbody\r\n"),
		},
		subject: "Delivery delayed: Quarterly report",
	}}
}

func TestWriteGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, &tc.n); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".eml")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s (run go test -update after checking):\n%s", golden, buf.Bytes())
			}
			checkWire(t, buf.Bytes())
			got, err := Parse(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			compareReports(t, got, &tc.n.Report)
			checkStdlib(t, buf.Bytes(), &tc)
		})
	}
}

// checkWire asserts CRLF line endings and the 998-octet line limit.
func checkWire(t *testing.T, b []byte) {
	t.Helper()
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) || bytes.IndexByte(line[:len(line)-2], '\r') >= 0 {
			t.Fatalf("line %d not CRLF-terminated or has a bare CR: %q", i+1, line)
		}
		if len(line)-2 > maxLine {
			t.Fatalf("line %d is %d octets", i+1, len(line)-2)
		}
	}
}

func compareReports(t *testing.T, got, want *Report) {
	t.Helper()
	if got.ReportingMTA != want.ReportingMTA || got.ReceivedFromMTA != want.ReceivedFromMTA ||
		got.EnvID != want.EnvID || !got.ArrivalDate.Equal(want.ArrivalDate) {
		t.Errorf("per-message fields = %+v, want %+v", got, want)
	}
	if len(got.Recipients) != len(want.Recipients) {
		t.Fatalf("%d recipients, want %d", len(got.Recipients), len(want.Recipients))
	}
	for i, g := range got.Recipients {
		w := want.Recipients[i]
		if g.FinalRecipient != w.FinalRecipient || g.OriginalRecipient != w.OriginalRecipient ||
			g.Action != w.Action || g.Status != w.Status || g.RemoteMTA != w.RemoteMTA ||
			g.DiagnosticCode != w.DiagnosticCode || !g.LastAttempt.Equal(w.LastAttempt) ||
			!g.WillRetryUntil.Equal(w.WillRetryUntil) {
			t.Errorf("recipient %d = %+v\nwant %+v", i, g, w)
		}
	}
}

// checkStdlib re-reads the DSN with net/mail and mime/multipart only.
func checkStdlib(t *testing.T, b []byte, tc *goldenCase) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	from, _ := mail.ParseAddress(tc.n.From)
	to, _ := mail.ParseAddress(tc.n.To)
	subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	date, _ := h.Date()
	if a, _ := h.AddressList("From"); len(a) != 1 || a[0].Address != from.Address || a[0].Name != from.Name {
		t.Errorf("From = %q", h.Get("From"))
	}
	if a, _ := h.AddressList("To"); len(a) != 1 || a[0].Address != to.Address {
		t.Errorf("To = %q", h.Get("To"))
	}
	if subj != tc.subject || !date.Equal(tc.n.Date) || h.Get("Auto-Submitted") != "auto-replied" ||
		h.Get("MIME-Version") != "1.0" || !strings.HasPrefix(h.Get("Message-Id"), "<") {
		t.Errorf("header: subject %q date %v auto %q mime %q id %q", subj, date, h.Get("Auto-Submitted"),
			h.Get("MIME-Version"), h.Get("Message-Id"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" ||
		params["boundary"] != tc.n.Boundary {
		t.Fatalf("Content-Type = %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	wantTypes := []string{"text/plain", "message/delivery-status", "text/rfc822-headers"}
	if tc.n.ReturnFull {
		wantTypes[2] = "message/rfc822"
	}
	for i, wt := range wantTypes {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != wt {
			t.Fatalf("part %d type %q, want %q", i, ct, wt)
		}
		body, _ := io.ReadAll(p)
		switch i {
		case 0:
			checkHumanPart(t, string(body), &tc.n.Report)
		case 1:
			checkStatusPart(t, body, &tc.n.Report)
		case 2:
			checkOriginalPart(t, body, tc)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("extra part or bad end: %v", err)
	}
}

func checkHumanPart(t *testing.T, body string, r *Report) {
	t.Helper()
	for _, rr := range r.Recipients {
		_, addr := SplitTyped(rr.FinalRecipient)
		_, diag := SplitTyped(rr.DiagnosticCode)
		line := "  " + addr + ": " + rr.Status.String() + " "
		if !strings.Contains(body, line) || !strings.Contains(body, diag) {
			t.Errorf("human part lacks %q / %q:\n%s", line, diag, body)
		}
	}
}

// checkStatusPart reads the field groups with net/textproto.
func checkStatusPart(t *testing.T, body []byte, r *Report) {
	t.Helper()
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
	var groups []textproto.MIMEHeader
	for {
		g, err := tr.ReadMIMEHeader()
		if len(g) > 0 {
			groups = append(groups, g)
		}
		if err != nil {
			break
		}
	}
	if len(groups) != 1+len(r.Recipients) {
		t.Fatalf("%d groups, want %d", len(groups), 1+len(r.Recipients))
	}
	m := groups[0]
	if m.Get("Reporting-MTA") != "dns; "+r.ReportingMTA || m.Get("Original-Envelope-Id") != r.EnvID ||
		m.Get("Arrival-Date") != r.ArrivalDate.Format(dateLayout) {
		t.Errorf("per-message group = %v", m)
	}
	if r.ReceivedFromMTA != "" && m.Get("Received-From-MTA") != "dns; "+r.ReceivedFromMTA {
		t.Errorf("Received-From-MTA = %q", m.Get("Received-From-MTA"))
	}
	for i, rr := range r.Recipients {
		g := groups[i+1]
		ft, fa := SplitTyped(rr.FinalRecipient)
		want := map[string]string{
			"Final-Recipient": ft + "; " + fa, "Action": string(rr.Action), "Status": rr.Status.String(),
			"Remote-MTA": "", "Diagnostic-Code": rr.DiagnosticCode, "Original-Recipient": "",
			"Last-Attempt-Date": "", "Will-Retry-Until": "",
		}
		if rr.RemoteMTA != "" {
			want["Remote-MTA"] = "dns; " + rr.RemoteMTA
		}
		if rr.OriginalRecipient != "" {
			ot, oa := SplitTyped(rr.OriginalRecipient)
			want["Original-Recipient"] = ot + "; " + oa
		}
		if !rr.LastAttempt.IsZero() {
			want["Last-Attempt-Date"] = rr.LastAttempt.Format(dateLayout)
		}
		if !rr.WillRetryUntil.IsZero() {
			want["Will-Retry-Until"] = rr.WillRetryUntil.Format(dateLayout)
		}
		for k, v := range want {
			if got := g.Get(k); got != v {
				t.Errorf("recipient %d %s = %q, want %q", i, k, got, v)
			}
		}
	}
}

func checkOriginalPart(t *testing.T, body []byte, tc *goldenCase) {
	t.Helper()
	var h textproto.MIMEHeader
	var rest []byte
	if tc.n.ReturnFull {
		m, err := mail.ReadMessage(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		h = textproto.MIMEHeader(m.Header)
		rest, _ = io.ReadAll(m.Body)
		if string(rest) != tc.origBody {
			t.Errorf("original body = %q\nwant %q", rest, tc.origBody)
		}
	} else {
		var err error
		// The header section alone, without the terminating blank line.
		h, err = textproto.NewReader(bufio.NewReader(bytes.NewReader(body))).ReadMIMEHeader()
		if err != io.EOF {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte("body")) {
			t.Errorf("headers-only part contains the body")
		}
	}
	for k := range h {
		if firewalled(k) {
			t.Errorf("firewalled header %q attached", k)
		}
	}
	for _, k := range []string{"From", "To", "Subject", "Message-Id", "X-Custom"} {
		if h.Get(k) == "" {
			t.Errorf("original header %s missing", k)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	ok := func() *Notification {
		return &Notification{From: "postmaster@contoso.com", To: "alice@contoso.com", Report: Report{
			ReportingMTA: "mx1.contoso.com",
			Recipients:   []RecipientReport{{FinalRecipient: "bob@x", Action: Failed, Status: Status{5, 0, 0}}},
		}}
	}
	tests := []struct {
		name string
		mod  func(n *Notification)
		want error
	}{
		{"null sender", func(n *Notification) { n.To = "" }, ErrNullSender},
		{"null sender brackets", func(n *Notification) { n.To = "<>" }, ErrNullSender},
		{"no from", func(n *Notification) { n.From = "" }, ErrInvalid},
		{"bad from", func(n *Notification) { n.From = "not an address" }, ErrInvalid},
		{"no reporting mta", func(n *Notification) { n.Report.ReportingMTA = "" }, ErrInvalid},
		{"no recipients", func(n *Notification) { n.Report.Recipients = nil }, ErrInvalid},
		{"no final recipient", func(n *Notification) { n.Report.Recipients[0].FinalRecipient = "" }, ErrInvalid},
		{"bad action", func(n *Notification) { n.Report.Recipients[0].Action = "bounced" }, ErrInvalid},
		{"bad status", func(n *Notification) { n.Report.Recipients[0].Status = Status{} }, ErrInvalid},
		{"crlf injection", func(n *Notification) { n.Report.Recipients[0].DiagnosticCode = "550\r\nBcc: x" }, ErrInvalid},
		{"subject injection", func(n *Notification) { n.Subject = "a\nb" }, ErrInvalid},
		{"bad boundary", func(n *Notification) { n.Boundary = "bad@boundary" }, ErrInvalid},
		{"huge word", func(n *Notification) { n.Report.EnvID = strings.Repeat("e", 1000) }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := ok()
			tt.mod(n)
			var buf bytes.Buffer
			err := Write(&buf, n)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
	if err := Write(io.Discard, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil notification: %v", err)
	}
	if err := Write(io.Discard, ok()); err != nil {
		t.Fatalf("valid notification: %v", err)
	}
}
