package tlsrpt_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/tlsrpt"
)

// submitted is one message a Mailer handed over.
type submitted struct {
	from string
	to   []string
	msg  []byte
}

// reportServer is an HTTPS rua endpoint recording what is posted, and a
// client that reaches it for any host name.
func reportServer(t *testing.T) (*http.Client, func() (string, []byte)) {
	t.Helper()
	var mu sync.Mutex
	var ctype string
	var body []byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		ctype, body = r.Header.Get("Content-Type"), b
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, func() (string, []byte) {
		mu.Lock()
		defer mu.Unlock()
		return ctype, body
	}
}

func TestMailer(t *testing.T) {
	day := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	now := day
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com").WithClock(func() time.Time { return now })
	for _, d := range []string{"fabrikam.com", "woodgrove.com", "twice.example"} {
		rec.Failure(tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, Domain: d},
			tlsrpt.Failure{ResultType: tlsrpt.ResultValidationFailure, ReceivingMX: "mx1." + d})
	}
	now = now.Add(24 * time.Hour)
	reports := rec.TakeDue()
	if len(reports) != 3 || len(rec.TakeDue()) != 0 {
		t.Fatalf("TakeDue: %d reports, then more", len(reports))
	}
	txt := map[string][]string{
		"_smtp._tls.fabrikam.com": {"v=spf1 -all",
			"v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com,mailto:tls%2Dreports@fabrikam.com?subject=x,https://reports.fabrikam.com/v1"},
		"_smtp._tls.twice.example": {"v=TLSRPTv1; rua=mailto:a@twice.example", "v=TLSRPTv1; rua=mailto:b@twice.example"},
	}
	client, posted := reportServer(t)
	var subs []submitted
	m := &tlsrpt.Mailer{From: "tlsrpt-noreply@contoso.com", Submitter: "edge1.contoso.com", HTTP: client,
		Now:       func() time.Time { return now },
		LookupTXT: func(_ context.Context, name string) ([]string, error) { return txt[name], nil },
		Submit: func(_ context.Context, from string, to []string, msg []byte) error {
			subs = append(subs, submitted{from, to, msg})
			return nil
		},
	}
	sent, err := m.Send(context.Background(), reports)
	want := []string{"fabrikam.com https://reports.fabrikam.com/v1", "fabrikam.com mailto:tlsrpt@fabrikam.com", "fabrikam.com mailto:tls-reports@fabrikam.com"}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	if !errors.Is(err, tlsrpt.ErrNoRecord) || !strings.Contains(err.Error(), "woodgrove.com") || !strings.Contains(err.Error(), "twice.example") {
		t.Errorf("err = %v, want ErrNoRecord for woodgrove.com and twice.example", err)
	}
	if len(subs) != 1 || subs[0].from != "tlsrpt-noreply@contoso.com" || !slices.Equal(subs[0].to, []string{"tlsrpt@fabrikam.com", "tls-reports@fabrikam.com"}) {
		t.Fatalf("submitted %+v", subs)
	}
	rep := checkReportMail(t, subs[0].msg)
	if rep.ReportID != reports[0].ReportID || rep.Domain() != "fabrikam.com" || rep.Policies[0].Summary.Failed != 1 {
		t.Errorf("mailed report %+v", rep)
	}
	ctype, body := posted()
	if ctype != tlsrpt.MediaType {
		t.Errorf("posted as %q", ctype)
	}
	if got := gunzipReport(t, body); got.ReportID != reports[0].ReportID {
		t.Errorf("posted report %+v", got)
	}
}

// checkReportMail checks the RFC 8460 §5.3 form of a report message and
// returns the report it carries.
func checkReportMail(t *testing.T, raw []byte) tlsrpt.Report {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if h.Get("TLS-Report-Domain") != "fabrikam.com" || h.Get("TLS-Report-Submitter") != "edge1.contoso.com" {
		t.Errorf("report fields %q %q", h.Get("TLS-Report-Domain"), h.Get("TLS-Report-Submitter"))
	}
	if s := h.Get("Subject"); !strings.HasPrefix(s, "Report Domain: fabrikam.com Submitter: edge1.contoso.com Report-ID: <20261206.fabrikam.com.") ||
		!strings.HasSuffix(s, ">") {
		t.Errorf("Subject %q", s)
	}
	if _, err := h.Date(); err != nil || h.Get("Message-Id") == "" || h.Get("Mime-Version") != "1.0" {
		t.Errorf("Date/Message-ID/MIME-Version: %v %q %q", err, h.Get("Message-Id"), h.Get("Mime-Version"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "tlsrpt" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	var rep tlsrpt.Report
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Header.Get("Content-Type"))
		if p.Header.Get("Content-Type") != tlsrpt.MediaType {
			continue
		}
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if fn := dp["filename"]; !strings.HasPrefix(fn, "edge1.contoso.com!fabrikam.com!1796515200!1796601599!") || !strings.HasSuffix(fn, ".json.gz") {
			t.Errorf("attachment name %q", fn)
		}
		gz, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil || p.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("attachment: %v, %q", err, p.Header.Get("Content-Transfer-Encoding"))
		}
		rep = gunzipReport(t, gz)
	}
	if !slices.Equal(types, []string{"text/plain; charset=us-ascii", tlsrpt.MediaType}) {
		t.Errorf("parts %q", types)
	}
	return rep
}

func gunzipReport(t *testing.T, gz []byte) tlsrpt.Report {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	var rep tlsrpt.Report
	if err := json.NewDecoder(zr).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// A failing HTTPS endpoint or an unusable mailto: URI does not keep the
// report from the other rua URIs.
func TestMailerPartialFailure(t *testing.T) {
	rec := tlsrpt.NewRecorder("Contoso", "postmaster@contoso.com")
	rec.Success(tlsrpt.Policy{Type: tlsrpt.PolicySTS, Domain: "fabrikam.com"})
	reports := rec.Reports(time.Now())
	failing := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Body: io.NopCloser(strings.NewReader(""))}, nil
	})}
	var got []string
	m := &tlsrpt.Mailer{From: "tlsrpt@contoso.com", Submitter: "contoso.com", HTTP: failing,
		LookupTXT: func(context.Context, string) ([]string, error) {
			return []string{`v=TLSRPTv1;rua=https://r.fabrikam.com/,mailto:Bob <bob@fabrikam.com>,mailto:"a b"@fabrikam.com,mailto:ok@fabrikam.com`}, nil
		},
		Submit: func(_ context.Context, _ string, to []string, _ []byte) error { got = to; return nil },
	}
	sent, err := m.Send(context.Background(), reports)
	if !slices.Equal(sent, []string{"fabrikam.com mailto:ok@fabrikam.com"}) || !slices.Equal(got, []string{"ok@fabrikam.com"}) {
		t.Errorf("sent %q, mailed to %q", sent, got)
	}
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "is not one address") ||
		!strings.Contains(err.Error(), "quoted local parts") {
		t.Errorf("err = %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
