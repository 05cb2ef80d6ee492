package manage_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
)

// hostile are parameter sets no endpoint may answer with a 5xx, a panic or
// anything but a JSON error.
var hostile = []url.Values{
	{"Nope": {"1"}},
	{"Identity": {"a", "b"}},
	{"Identity": {strings.Repeat("A", 5000)}},
	{"Identity": {"HubA\\1\\2\\3\\4"}},
	{"Identity": {"\\\\"}},
	{"Identity": {"HubA\\"}},
	{"Identity": {"HubA\\1\\not-an-id"}},
	{"Identity": {"HubA\x00\\1"}},
	{"Identity": {"<script>alert(1)</script>"}},
	{"Identity": {"HubA\\99999999999999999999999"}},
	{"Identity": {"HubA\\-1"}},
	{"Identity": {"HubB\\Submission\\06H3230101ERA9AYWXWC16QR70"}},
	{"Identity": {"..\\..\\etc\\passwd"}},
	{"Identity": {"HubA\\1\\06H3230101ERA9AYWXWC16QR7"}},
	{"Status": {"Bogus"}},
	{"Status": {""}, "Identity": {""}},
	{"ResultSize": {"-1"}},
	{"ResultSize": {"99999999999999999999"}},
	{"ResultSize": {"0x10"}},
	{"Filter": {"{MessageCount -gt"}},
	{"Filter": {"MessageCount -xor 1"}},
	{"Filter": {"Password -eq 1"}},
	{"Filter": {"Status -eq 'Retry' -or Status -eq 'Ready'"}},
	{"Filter": {"'unterminated"}},
	{"Exclude": {"Internal"}},
	{"Resubmit": {"maybe"}, "Identity": {"Unreachable"}},
	{"WithNDR": {"sometimes"}, "Identity": {"06H3230101ERA9AYWXWC16QR70"}},
	{"Start": {"yesterday"}},
	{"End": {"2026-13-45"}},
	{"Start": {"2026-02-01"}, "End": {"2026-01-01"}},
	{"Recipients": {strings.Repeat("a@b,", 600)}},
	{"EventId": {"RECEIVE\r\nX-Injected: 1"}},
	{"Queue": {"HubA\\1"}, "Identity": {"HubA\\1\\06H3230101ERA9AYWXWC16QR70"}},
}

func TestHostileInput(t *testing.T) {
	f := newFixture(t, manage.WithTracking(trackingLog(t)))
	f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)
	methods := map[string]string{}
	for _, c := range manage.Cmdlets {
		methods[c] = http.MethodPost
		if strings.HasPrefix(c, "Get-") || c == "Export-Message" {
			methods[c] = http.MethodGet
		}
	}
	for _, cmdlet := range manage.Cmdlets {
		for _, p := range hostile {
			code, body := f.do(t, methods[cmdlet], cmdlet, p)
			if code == http.StatusOK {
				// Some sets are harmless to some cmdlets (an unknown
				// queue's Identity to Get-AcceptedDomain ...): fine, as
				// long as the answer is JSON.
				if !json.Valid([]byte(body)) {
					t.Errorf("%s %v: 200 with %q", cmdlet, p, body)
				}
				continue
			}
			var e struct{ Error string }
			if code < 400 || code > 499 || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
				t.Errorf("%s %v: %d %q; want 4xx with a JSON error", cmdlet, p, code, body)
			}
		}
		// The wrong method is 405 with a JSON error too.
		wrong := http.MethodGet
		if methods[cmdlet] == http.MethodGet {
			wrong = http.MethodPost
		}
		if code, body := f.do(t, wrong, cmdlet, nil); code != http.StatusMethodNotAllowed || !strings.Contains(body, `"error"`) {
			t.Errorf("%s %s: %d %s", wrong, cmdlet, code, body)
		}
	}
	if code, body := f.do(t, "GET", "Format-Disk", nil); code != 404 || !strings.Contains(body, "no cmdlet Format-Disk") {
		t.Errorf("unknown cmdlet: %d %s", code, body)
	}
	// A body larger than any parameter set is refused, not read.
	big := url.Values{"Identity": {strings.Repeat("x", 100<<10)}}
	if code, _ := f.do(t, "POST", "Suspend-Queue", big); code != http.StatusBadRequest {
		t.Errorf("100 KiB form: %d", code)
	}
}
