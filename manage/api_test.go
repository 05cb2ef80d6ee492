package manage_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
)

func decode[T any](t *testing.T, body string) []T {
	t.Helper()
	var v []T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return v
}

func TestQueueCmdlets(t *testing.T) {
	f := newFixture(t)
	down := f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)

	code, body := f.do(t, http.MethodGet, "Get-Queue", url.Values{"Status": {"retry"}})
	qs := decode[manage.QueueView](t, body)
	if code != 200 || len(qs) != 1 {
		t.Fatalf("Get-Queue -Status Retry: %d %s", code, body)
	}
	q := qs[0]
	if q.Identity != `HubA\1` || q.DeliveryType != "DnsConnectorDelivery" || q.NextHopDomain != "down.example" ||
		q.MessageCount != 1 || !strings.Contains(q.LastError, "connection refused") || q.NextRetryTime.IsZero() {
		t.Errorf("Get-Queue: %+v", q)
	}

	msgID := `HubA\1\` + string(down)
	tests := []struct {
		name   string
		method string
		cmdlet string
		params url.Values
		code   int
		want   string // in the body
	}{
		{"by domain", "GET", "Get-Queue", url.Values{"Identity": {`HubA\down.example`}}, 200, `"Identity": "HubA\1"`},
		{"by number without server", "GET", "get-queue", url.Values{"identity": {`1`}}, 200, `"MessageCount": 1`},
		{"filter", "GET", "Get-Queue", url.Values{"Filter": {`{MessageCount -gt 0 -and Status -eq 'Retry'}`}}, 200, `HubA\1`},
		{"filter excludes", "GET", "Get-Queue", url.Values{"Filter": {`MessageCount -gt 5`}}, 200, `[]`},
		{"exclude empty", "GET", "Get-Queue", url.Values{"Exclude": {"Empty"}}, 200, `down.example`},
		{"next hop domain wildcard", "GET", "Get-Queue", url.Values{"NextHopDomain": {"*.example"}}, 200, `down.example`},
		{"no such queue", "GET", "Get-Queue", url.Values{"Identity": {`HubA\9`}}, 404, `"error": "no queue HubA\9"`},
		{"other server", "GET", "Get-Queue", url.Values{"Identity": {`HubB\1`}}, 404, `no queue HubB\1`},
		{"messages of a queue", "GET", "Get-Message", url.Values{"Queue": {`HubA\1`}}, 200, `"FromAddress": "alice@contoso.com"`},
		{"messages by sender", "GET", "Get-Message", url.Values{"Sender": {"*@CONTOSO.com"}}, 200, string(down)},
		{"messages by other sender", "GET", "Get-Message", url.Values{"Sender": {"eve@contoso.com"}}, 200, `[]`},
		{"messages by status", "GET", "Get-Message", url.Values{"Status": {"Retry"}}, 200, string(down)},
		{"message by identity", "GET", "Get-Message", url.Values{"Identity": {msgID}}, 200, `"Address": "bob@down.example"`},
		{"message in every queue", "GET", "Get-Message", url.Values{"Identity": {`HubA\*\` + string(down)}}, 200, msgID},
		{"message not in that queue", "GET", "Get-Message", url.Values{"Identity": {`HubA\Submission\` + string(down)}}, 404, "no message"},
		{"export needs suspend", "GET", "Export-Message", url.Values{"Identity": {msgID}}, 409, "Suspend-Message first"},
		{"retry a queue not in retry", "POST", "Retry-Queue", url.Values{"Identity": {`HubA\Submission`}}, 409, "only delivery queues"},
		{"resubmit a delivery queue", "POST", "Retry-Queue", url.Values{"Identity": {`HubA\1`}, "Resubmit": {"$true"}}, 400, "only the Unreachable queue"},
		{"resubmit unreachable", "POST", "Retry-Queue", url.Values{"Identity": {`Unreachable`}, "Resubmit": {"$true"}}, 200, `HubA\Unreachable`},
		{"suspend message", "POST", "Suspend-Message", url.Values{"Identity": {msgID}}, 200, msgID},
		{"suspended", "GET", "Get-Message", url.Values{"Status": {"Suspended"}}, 200, msgID},
		{"export", "GET", "Export-Message", url.Values{"Identity": {msgID}}, 200, "Subject: test\r\n\r\nhello\r\n"},
		{"resume message", "POST", "Resume-Message", url.Values{"Identity": {msgID}}, 200, msgID},
		{"suspend queue", "POST", "Suspend-Queue", url.Values{"Identity": {`HubA\1`}}, 200, `HubA\1`},
		{"queue suspended", "GET", "Get-Queue", url.Values{"Status": {"Suspended"}}, 200, `down.example`},
		{"resume queue", "POST", "Resume-Queue", url.Values{"Identity": {`HubA\1`}}, 200, `HubA\1`},
		{"remove without NDR", "POST", "Remove-Message", url.Values{"Identity": {msgID}, "WithNDR": {"$false"}}, 200, msgID},
		{"removed", "GET", "Get-Message", url.Values{"Identity": {msgID}}, 404, "no message " + msgID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.do(t, tt.method, tt.cmdlet, tt.params)
			body = strings.ReplaceAll(body, `\\`, `\`) // JSON's escaped backslashes
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s %v: %d %s; want %d and %q", tt.method, tt.cmdlet, tt.params, code, body, tt.code, tt.want)
			}
		})
	}
}

func TestRemoveWithNDR(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue(t, "alice@contoso.com", "bob@down.example", queue.EventDefer)
	if code, body := f.do(t, "POST", "Remove-Message", url.Values{"Identity": {string(id)}}); code != 200 {
		t.Fatalf("Remove-Message: %d %s", code, body)
	}
	// The NDR goes to alice, whose domain the fixture delivers to.
	if got := <-f.delivered; got != "alice@contoso.com" {
		t.Errorf("NDR delivered to %s", got)
	}
}

func TestConfigViews(t *testing.T) {
	send := connector.NewSendConfig("To Internet", connector.UsageInternet)
	send.AuthenticationCredential = connector.Credential{UserName: "relay", Password: "hunter2-password"}
	recv := connector.NewReceiveConfig("From Internet", connector.UsageInternet)
	cfg := manage.Config{
		SendConnectors:    []connector.SendConfig{send},
		ReceiveConnectors: []connector.ReceiveConfig{recv},
		AcceptedDomains: []manage.AcceptedDomain{{Name: "Contoso",
			AcceptedDomain: routing.AcceptedDomain{Domain: "contoso.com", Type: routing.Authoritative}}},
	}
	f := newFixture(t, manage.WithConfig(func() manage.Config { return cfg }))
	tests := []struct {
		cmdlet string
		params url.Values
		code   int
		want   string
	}{
		{"Get-SendConnector", nil, 200, `"Identity": "To Internet"`},
		{"Get-SendConnector", url.Values{"Identity": {"to internet"}}, 200, `"UserName": "relay"`},
		{"Get-SendConnector", url.Values{"Identity": {"Nope"}}, 404, `no send connector Nope`},
		{"Get-ReceiveConnector", nil, 200, `"Identity": "HubA\From Internet"`},
		{"Get-ReceiveConnector", url.Values{"Identity": {"From Internet"}}, 200, `"Name": "From Internet"`},
		{"Get-AcceptedDomain", nil, 200, `"DomainType": "Authoritative"`},
		// Name and Identity are the name given at creation, DomainName the domain.
		{"Get-AcceptedDomain", nil, 200, `"Identity": "Contoso",
    "Name": "Contoso",
    "DomainName": "contoso.com"`},
		{"Get-AcceptedDomain", url.Values{"Identity": {"contoso"}}, 200, `"DomainName": "contoso.com"`},
		{"Get-AcceptedDomain", url.Values{"Identity": {"CONTOSO.COM"}}, 200, `"Name": "Contoso"`},
		{"Get-AcceptedDomain", url.Values{"Identity": {"fabrikam.com"}}, 404, `no accepted domain fabrikam.com`},
		{"Get-MessageTrackingLog", nil, 404, `message tracking is not enabled`},
	}
	for _, tt := range tests {
		code, body := f.do(t, "GET", tt.cmdlet, tt.params)
		body = strings.ReplaceAll(body, `\\`, `\`)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s %v: %d %s; want %d and %q", tt.cmdlet, tt.params, code, body, tt.code, tt.want)
		}
		if strings.Contains(body, "hunter2") {
			t.Errorf("%s shows the password: %s", tt.cmdlet, body)
		}
	}
	// A reload shows the new configuration.
	// A domain given without a name stands for its name.
	cfg.AcceptedDomains = append(cfg.AcceptedDomains, manage.AcceptedDomain{
		AcceptedDomain: routing.AcceptedDomain{Domain: "fabrikam.com", Type: routing.InternalRelay}})
	if code, body := f.do(t, "GET", "Get-AcceptedDomain", url.Values{"Identity": {"fabrikam.com"}}); code != 200 ||
		!strings.Contains(body, "InternalRelay") || !strings.Contains(body, `"Name": "fabrikam.com"`) {
		t.Errorf("after reload: %d %s", code, body)
	}
}

func TestNoQueue(t *testing.T) {
	h, err := manage.New(manage.WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, _ := manage.NewClient(srv.URL, testToken, nil)
	var apiErr *manage.APIError
	_, err = c.GetQueue(t.Context(), nil)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != manage.ErrNoQueue.Error() {
		t.Errorf("Get-Queue without a queue: %v", err)
	}
}
