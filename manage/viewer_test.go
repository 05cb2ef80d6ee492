package manage_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/tracking"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestViewer(t *testing.T) {
	l := trackingLog(t)
	l.Track(tracking.Record{EventID: tracking.Fail, Source: tracking.SourceSMTP, MessageID: "<9@contoso.com>",
		Sender: "alice@contoso.com", Recipients: []string{"bob@fabrikam.com"}, RecipientStatus: []string{"550 5.1.1 <b>unknown</b>"}})
	f := newFixture(t, manage.WithTracking(l))
	if err := f.q.SuspendQueue(queue.QueueSubmission); err != nil {
		t.Fatal(err)
	}
	id := f.enqueue(t, "alice@contoso.com", "bob@fabrikam.com", queue.EventReceive)
	b := browser(t)

	if code, _, _ := fetch(t, b, "POST", f.srv.URL+"/login", url.Values{"token": {"wrong"}}); code != http.StatusUnauthorized {
		t.Errorf("login with a wrong token: %d", code)
	}
	code, _, hdr := fetch(t, b, "POST", f.srv.URL+"/login", url.Values{"token": {testToken}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Set-Cookie"), "HttpOnly") || !strings.Contains(hdr.Get("Set-Cookie"), "SameSite=Strict") {
		t.Fatalf("login: %d %v", code, hdr)
	}
	code, page, hdr := fetch(t, b, "GET", f.srv.URL+"/", nil)
	for _, want := range []string{`HubA\Submission`, `Suspended`, `http-equiv="refresh"`, `name="viewport"`, `value="Resume-Queue"`} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("queues page: %d, no %q in\n%s", code, want, page)
		}
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP: %q", hdr.Get("Content-Security-Policy"))
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	csrf := m[1]

	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/queue?Identity="+url.QueryEscape(`HubA\Submission`), nil)
	if code != 200 || !strings.Contains(page, string(id)) || !strings.Contains(page, "alice@contoso.com") {
		t.Errorf("queue page: %d\n%s", code, page)
	}
	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/message?Identity="+url.QueryEscape(`HubA\Submission\`+string(id)), nil)
	if code != 200 || !strings.Contains(page, "bob@fabrikam.com") || !strings.Contains(page, "Remove without NDR") {
		t.Errorf("message page: %d\n%s", code, page)
	}
	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/queue?Identity=HubA%5C9", nil)
	if code != 404 || !strings.Contains(page, `no queue HubA\9`) {
		t.Errorf("unknown queue page: %d\n%s", code, page)
	}
	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/tracking", nil)
	if code != 200 || !strings.Contains(page, `name="MessageId"`) {
		t.Errorf("tracking page: %d\n%s", code, page)
	}
	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/tracking?MessageId=9@contoso.com", nil)
	if code != 200 || !strings.Contains(page, "550 5.1.1 &lt;b&gt;unknown&lt;/b&gt;") {
		t.Errorf("tracking search (escaped): %d\n%s", code, page)
	}
	code, page, _ = fetch(t, b, "GET", f.srv.URL+"/tracking?Start=tomorrow", nil)
	if code != 400 || !strings.Contains(page, "not a time") {
		t.Errorf("tracking search with a bad time: %d\n%s", code, page)
	}

	resume := url.Values{"action": {"Resume-Queue"}, "Identity": {`HubA\Submission`}}
	forged := []struct {
		name   string
		csrf   string
		origin string
	}{{"no token", "", ""}, {"wrong token", "x" + csrf, ""}, {"other site", csrf, "https://evil.example"}}
	for _, tt := range forged {
		form := url.Values{"csrf": {tt.csrf}}
		for k, v := range resume {
			form[k] = v
		}
		req, _ := http.NewRequest("POST", f.srv.URL+"/action", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", tt.name, resp.StatusCode)
		}
	}
	if qs := f.q.Queues(); qs[0].Status != queue.QueueSuspended {
		t.Fatalf("a forged form resumed the queue: %+v", qs[0])
	}
	// Another session's token does not do either.
	other := browser(t)
	fetch(t, other, "POST", f.srv.URL+"/login", url.Values{"token": {testToken}})
	resume.Set("csrf", csrf)
	if code, _, _ := fetch(t, other, "POST", f.srv.URL+"/action", resume); code != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d", code)
	}

	code, _, hdr = fetch(t, b, "POST", f.srv.URL+"/action", resume)
	if code != http.StatusSeeOther || hdr.Get("Location") != "/queue?Identity=HubA%5CSubmission" {
		t.Fatalf("Resume: %d %v", code, hdr)
	}
	if got := <-f.delivered; got != "bob@fabrikam.com" {
		t.Errorf("delivered to %s", got)
	}

	// After logout the cookie is worthless.
	fetch(t, b, "POST", f.srv.URL+"/logout", url.Values{"csrf": {csrf}})
	if code, _, _ := fetch(t, b, "GET", f.srv.URL+"/", nil); code != http.StatusUnauthorized {
		t.Errorf("after logout: %d", code)
	}
}
