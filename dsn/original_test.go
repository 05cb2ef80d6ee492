package dsn

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func baseNotification(orig io.Reader, full bool) *Notification {
	return &Notification{
		From: "postmaster@contoso.com", To: "alice@contoso.com", Date: t0, Boundary: "b",
		Report: Report{ReportingMTA: "mx1.contoso.com", Recipients: []RecipientReport{{
			FinalRecipient: "bob@fabrikam.com", Action: Failed, Status: Status{5, 1, 1},
		}}},
		Original: orig, ReturnFull: full,
	}
}

func write(t *testing.T, n *Notification) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, n); err != nil {
		t.Fatal(err)
	}
	checkWire(t, buf.Bytes())
	return buf.String()
}

func TestFirewalled(t *testing.T) {
	tests := map[string]bool{
		"Received": true, "received": true, "Resent-Date": true, "RESENT-MESSAGE-ID": true,
		"X-MS-Exchange-Organization-SCL": true, "x-ms-exchange-forest-rulesexecuted": true,
		"X-MS-Exchange-CrossPremises-SCL": false, "Received-SPF": false, "From": false,
		"X-MS-Exchange-Organization": false, "Resent": false,
	}
	for k, want := range tests {
		if got := firewalled(k); got != want {
			t.Errorf("firewalled(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestWriteTruncatesOriginal(t *testing.T) {
	body := strings.Repeat("0123456789\r\n", 100)
	n := baseNotification(strings.NewReader("Subject: s\r\n\r\n"+body), true)
	n.MaxOriginal = 25
	out := write(t, n)
	if !strings.Contains(out, "\r\n\r\n0123456789\r\n0123456789\r\n0\r\n\r\n--b--") {
		t.Fatalf("not truncated at 25 bytes:\n%s", out)
	}
	n = baseNotification(strings.NewReader("Subject: s\r\n\r\n"+body), true)
	n.MaxOriginal = -1
	if out := write(t, n); !strings.Contains(out, body) {
		t.Fatal("unlimited copy lost data")
	}
}

func TestWriteMalformedOriginalHeader(t *testing.T) {
	orig := "Subject: kept\r\nthis line has no colon\r\nTo: lost@x\r\n\r\nbody\r\n"
	out := write(t, baseNotification(strings.NewReader(orig), false))
	if !strings.Contains(out, "Subject: Undeliverable: kept\r\n") ||
		!strings.Contains(out, "Content-Type: text/rfc822-headers\r\n\r\nSubject: kept\r\n\r\n") {
		t.Fatalf("malformed header not handled:\n%s", out)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestWriteOriginalReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	var buf bytes.Buffer
	err := Write(&buf, baseNotification(failingReader{boom}, true))
	if !errors.Is(err, boom) || buf.Len() != 0 {
		t.Fatalf("err = %v, wrote %d", err, buf.Len())
	}
	// A failure while streaming the body surfaces too.
	r := io.MultiReader(strings.NewReader("Subject: s\r\n\r\nbody"), failingReader{boom})
	if err := Write(io.Discard, baseNotification(r, true)); !errors.Is(err, boom) {
		t.Fatalf("body read error = %v", err)
	}
}

func TestWriteLongHeaderLine(t *testing.T) {
	orig := "X-Long: " + strings.Repeat("h", 2500) + "\r\nSubject: s\r\n\r\n"
	out := write(t, baseNotification(strings.NewReader(orig), false))
	m, err := mail.ReadMessage(strings.NewReader(out[strings.Index(out, "X-Long:"):]))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(m.Header.Get("X-Long"), " ", ""); got != strings.Repeat("h", 2500) {
		t.Fatalf("X-Long folded into %d bytes", len(got))
	}
}

func TestWriteEightBitAndUTF8(t *testing.T) {
	n := baseNotification(strings.NewReader("Subject: Grüße\r\n\r\nbody ü\r\n"), true)
	n.Report.Recipients[0].FinalRecipient = "rfc822;jürgen@example.de"
	n.Report.Recipients[0].DiagnosticCode = "smtp; 550 5.1.1 Unbekannter Empfänger"
	out := write(t, n)
	for _, want := range []string{
		"Content-Transfer-Encoding: 8bit\r\n",
		"Content-Type: message/global-delivery-status\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n",
		"Content-Transfer-Encoding: quoted-printable\r\n",
		"Final-Recipient: rfc822; jürgen@example.de\r\n",
		"Subject: =?utf-8?q?Undeliverable:_Gr=C3=BC=C3=9Fe?=\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	rep, err := Parse(strings.NewReader(out))
	if err != nil || rep.Recipients[0].FinalRecipient != "rfc822;jürgen@example.de" {
		t.Fatalf("Parse = %+v, %v", rep, err)
	}
}

func TestWriteDefaults(t *testing.T) {
	n := baseNotification(nil, false)
	n.Date = t0
	n.Boundary = ""
	n.Report.Recipients = append(n.Report.Recipients, RecipientReport{
		FinalRecipient: "c@x", Action: Delayed, Status: Status{4, 4, 7},
	})
	out := write(t, n)
	m, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@mx1\.contoso\.com>$`).MatchString(m.Header.Get("Message-Id")) {
		t.Errorf("generated Message-ID %q", m.Header.Get("Message-Id"))
	}
	if s := m.Header.Get("Subject"); s != "Undeliverable" {
		t.Errorf("Subject = %q", s)
	}
	if _, p, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); len(p["boundary"]) < 30 {
		t.Errorf("boundary %q", p["boundary"])
	}
	if strings.Contains(out, "rfc822-headers") || !strings.Contains(out, "Original message: not included") {
		t.Errorf("nil Original should omit the third part:\n%s", out)
	}
	if !strings.Contains(out, "  c@x: 4.4.7 Message expired: the delivery time-limit passed\r\n") {
		t.Errorf("status text missing:\n%s", out)
	}
	tests := map[Action]string{Delivered: "Delivered", Relayed: "Relayed", Expanded: "Expanded", Delayed: "Delivery delayed"}
	for a, want := range tests {
		n := baseNotification(nil, false)
		n.Report.Recipients[0].Action = a
		n.Report.Recipients[0].Status = Status{2, 0, 0}
		if got := subjectPrefix(&n.Report); got != want {
			t.Errorf("subjectPrefix(%s) = %q", a, got)
		}
	}
}

// endless yields an unbounded stream of body lines without allocating.
type endless struct{ line []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e.line)
	}
	return n, nil
}

func TestWriteStreamsOriginal(t *testing.T) {
	const size = 64 << 20
	src := io.MultiReader(strings.NewReader("Subject: big\r\n\r\n"), &endless{line: []byte(strings.Repeat("z", 70) + "\r\n")})
	n := baseNotification(src, true)
	n.MaxOriginal = size
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cw := &countWriter{}
	if err := Write(cw, n); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if cw.n < size {
		t.Fatalf("wrote %d bytes, want more than %d", cw.n, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte original: not streaming", alloc, size)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkWrite(b *testing.B) {
	body := bytes.Repeat([]byte(strings.Repeat("b", 76)+"\r\n"), (1<<20)/78)
	msg := append([]byte(origHeaders+"\r\n"), body...)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		n := baseNotification(bytes.NewReader(msg), true)
		if err := Write(io.Discard, n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	tc := goldenCases()[0]
	if err := Write(&buf, &tc.n); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
