package dsn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addGoldenSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkReport asserts the invariants of a successfully parsed report and
// that writing it again and re-parsing gives the same report.
func checkReport(t *testing.T, rep *Report) {
	if rep.ReportingMTA == "" || len(rep.Recipients) == 0 {
		t.Fatalf("incomplete report accepted: %+v", rep)
	}
	for _, rr := range rep.Recipients {
		if rr.FinalRecipient == "" || !rr.Action.Valid() || !rr.Status.Valid() {
			t.Fatalf("invalid recipient accepted: %+v", rr)
		}
	}
	var buf bytes.Buffer
	if _, err := rep.WriteTo(&buf); err != nil {
		return // e.g. control characters or over-long words: refused, not mangled
	}
	again, err := ParseDeliveryStatus(&buf)
	if err != nil {
		t.Fatalf("re-parse of written report: %v\n%s", err, buf.Bytes())
	}
	compareReports(t, again, rep)
}

func FuzzParse(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; m\r\n\r\n" +
		"Final-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.0.0\r\n--b--\r\n"))
	f.Add([]byte("Subject: not a dsn\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		checkReport(t, rep)
	})
}

func FuzzParseDeliveryStatus(f *testing.F) {
	f.Add("Reporting-MTA: dns; mx\r\nArrival-Date: Tue, 10 Oct 2006 16:17:51 -0400\r\n\r\n" +
		"Final-Recipient: rfc822; a@b\r\nAction: delayed\r\nStatus: 4.4.7\r\n" +
		"Will-Retry-Until: Wed, 11 Oct 2006 16:17:51 -0400\r\n")
	f.Add("reporting-mta: x; y\n\nfinal-recipient: <a@b>\naction: FAILED (x)\nstatus: 5.1.1\n" +
		"diagnostic-code: smtp;\n 550 no\n")
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := ParseDeliveryStatus(strings.NewReader(s))
		if err != nil {
			return
		}
		checkReport(t, rep)
	})
}

func FuzzXText(f *testing.F) {
	for _, s := range []string{"", "bob@example.com", "a+b=c d", "José", "\x00\xff", "+2B", "+2b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeXText(s)
		if app := string(AppendXText([]byte("x"), s)); app != "x"+enc {
			t.Fatalf("AppendXText(%q) = %q, EncodeXText %q", s, app, enc)
		}
		dec, err := DecodeXText(enc)
		if err != nil || dec != s {
			t.Fatalf("DecodeXText(EncodeXText(%q)) = %q, %v", s, dec, err)
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] < '!' || enc[i] > '~' || enc[i] == '=' {
				t.Fatalf("EncodeXText(%q) = %q has a non-xtext byte", s, enc)
			}
		}
		// Any accepted xtext re-encodes to an equivalent canonical form.
		if d, err := DecodeXText(s); err == nil {
			if d2, err := DecodeXText(EncodeXText(d)); err != nil || d2 != d {
				t.Fatalf("canonical round trip of %q: %q, %v", s, d2, err)
			}
		}
	})
}

// FuzzDecodeXTextStrict checks the server's reading of xtext against the
// encoder: what it accepts re-encodes to itself when it has no "+", always
// round-trips, and the lenient decoder reads it the same.
func FuzzDecodeXTextStrict(f *testing.F) {
	for _, s := range []string{"", "abc", "+2B", "a+2Bb@c", "+2b", "+", "a+2", "=", "+00", "+FF", " ", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := DecodeXTextStrict(s)
		if err != nil {
			if d != "" {
				t.Fatalf("DecodeXTextStrict(%q) = %q with %v", s, d, err)
			}
			return
		}
		if enc := EncodeXText(d); enc != s && !strings.Contains(s, "+") {
			t.Fatalf("DecodeXTextStrict(%q) = %q, which encodes as %q", s, d, enc)
		}
		if d2, err := DecodeXTextStrict(EncodeXText(d)); err != nil || d2 != d {
			t.Fatalf("DecodeXTextStrict(%q) = %q, which does not round-trip: %q, %v", s, d, d2, err)
		}
		if l, err := DecodeXText(s); err != nil || l != d {
			t.Fatalf("DecodeXText(%q) = %q, %v; the strict decoder gave %q", s, l, err, d)
		}
	})
}

func FuzzParams(f *testing.F) {
	for _, s := range []string{"NEVER", "success,delay", "5.1.1", "4.04.007", "rfc822;a+2Bb@c", "FULL"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseNotify(s); err == nil {
			if n2, err := ParseNotify(n.String()); err != nil || n2 != n {
				t.Fatalf("Notify %q: %v -> %q -> %v, %v", s, n, n.String(), n2, err)
			}
		}
		if r, err := ParseRet(s); err == nil {
			if r2, err := ParseRet(r.String()); err != nil || r2 != r {
				t.Fatalf("Ret %q round trip", s)
			}
		}
		if st, err := ParseStatus(s); err == nil {
			if st2, err := ParseStatus(st.String()); err != nil || st2 != st || !st.Valid() {
				t.Fatalf("Status %q: %v -> %v, %v", s, st, st2, err)
			}
		}
		if typ, addr, err := ParseORCPT(s); err == nil {
			t2, a2, err := ParseORCPT(FormatORCPT(typ, addr))
			if err != nil || t2 != typ || a2 != addr {
				t.Fatalf("ORCPT %q: %q %q -> %q %q, %v", s, typ, addr, t2, a2, err)
			}
		}
		if id, err := ParseEnvID(s); err == nil {
			if id2, err := ParseEnvID(EncodeXText(id)); err != nil || id2 != id {
				t.Fatalf("EnvID %q: %q -> %q, %v", s, id, id2, err)
			}
		}
	})
}
