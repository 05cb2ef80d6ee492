package tlsrpt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/tlsrpt"
)

func TestReportJSON(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com").WithClock(func() time.Time { return now })
	sts := tlsrpt.Policy{Type: tlsrpt.PolicySTS, Domain: "Fabrikam.com.", Strings: []string{"version: STSv1", "mode: testing"}, MXHosts: []string{"*.fabrikam.com"}}
	rec.Success(sts)
	rec.Success(sts)
	for range 3 {
		rec.Failure(sts, tlsrpt.Failure{ResultType: tlsrpt.ResultCertificateHostMismatch, ReceivingMX: "mx2.fabrikam.com", ReceivingIP: "192.0.2.2"})
	}
	rec.Failure(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: "woodgrove.com"}, tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure})

	dir := t.TempDir()
	if files, err := rec.WriteDue(dir, "edge1.contoso.com"); err != nil || len(files) != 0 {
		t.Fatalf("today is not due: %v %v", files, err)
	}
	now = now.Add(24 * time.Hour)
	files, err := rec.WriteDue(dir, "edge1.contoso.com")
	if err != nil || len(files) != 2 {
		t.Fatalf("WriteDue = %v, %v", files, err)
	}
	slices.Sort(files)
	base := filepath.Base(files[0])
	if !strings.HasPrefix(base, "edge1.contoso.com!fabrikam.com!1796515200!1796601599!") || !strings.HasSuffix(base, ".json") {
		t.Errorf("file name %q", base)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// The field names of RFC 8460 §4.4, checked on the raw JSON.
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"organization-name", "date-range", "contact-info", "report-id", "policies"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report has no %q: %s", k, b)
		}
	}
	dr := doc["date-range"].(map[string]any)
	if dr["start-datetime"] != "2026-12-06T00:00:00Z" || dr["end-datetime"] != "2026-12-06T23:59:59Z" {
		t.Errorf("date-range %v", dr)
	}
	pol := doc["policies"].([]any)[0].(map[string]any)
	p := pol["policy"].(map[string]any)
	if p["policy-type"] != "sts" || p["policy-domain"] != "fabrikam.com" || len(p["policy-string"].([]any)) != 2 || len(p["mx-host"].([]any)) != 1 {
		t.Errorf("policy %v", p)
	}
	sum := pol["summary"].(map[string]any)
	if sum["total-successful-session-count"] != 2.0 || sum["total-failure-session-count"] != 3.0 {
		t.Errorf("summary %v", sum)
	}
	fd := pol["failure-details"].([]any)[0].(map[string]any)
	if fd["result-type"] != "certificate-host-mismatch" || fd["receiving-mx-hostname"] != "mx2.fabrikam.com" ||
		fd["receiving-ip"] != "192.0.2.2" || fd["failed-session-count"] != 3.0 {
		t.Errorf("failure-details %v", fd)
	}
	if files, _ := rec.WriteDue(dir, "edge1.contoso.com"); len(files) != 0 {
		t.Errorf("written twice: %v", files)
	}
}

func TestParseRUA(t *testing.T) {
	for in, want := range map[string]string{
		"v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com":                         "mailto:tlsrpt@fabrikam.com",
		"v=TLSRPTv1;rua=mailto:a@b.c,https://reports.fabrikam.com/v1/tlsrpt": "mailto:a@b.c https://reports.fabrikam.com/v1/tlsrpt",
		"v=TLSRPTv2; rua=mailto:a@b.c":                                       "",
		"v=TLSRPTv1;":                                                        "",
		"v=TLSRPTv1; rua=ftp://x":                                            "",
	} {
		got, err := tlsrpt.ParseRUA(in)
		if strings.Join(got, " ") != want || (want == "") != (err != nil) {
			t.Errorf("ParseRUA(%q) = %q, %v", in, got, err)
		}
	}
}
