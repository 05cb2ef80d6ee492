package manage_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/queuetest"
	"github.com/hubedge/hubedge/tracking"
)

const testToken = "s3cret-token-of-the-tests"

// fixture is a real queue behind a Handler: recipients at down.example
// get a connection error (their queue goes into Retry), all others are
// delivered and reported on delivered.
type fixture struct {
	q         *queue.Queue
	h         *manage.Handler
	srv       *httptest.Server
	clock     *queuetest.FakeClock
	events    chan queue.Event
	delivered chan string
}

func route(_ context.Context, _ *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
	_, domain, _ := strings.Cut(r.Address, "@")
	return queue.NextHop{Connector: "Outbound", Kind: "DnsConnectorDelivery", Domain: domain}, nil
}

func newFixture(t *testing.T, opts ...manage.Option) *fixture {
	t.Helper()
	f := &fixture{
		clock:     queuetest.NewFakeClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)),
		events:    make(chan queue.Event, 100),
		delivered: make(chan string, 100),
	}
	deliver := func(_ context.Context, hop queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if hop.Domain == "down.example" {
			return nil, errors.New("dial tcp: connection refused")
		}
		res := make([]queue.Result, len(rcpts))
		for i, r := range rcpts {
			res[i] = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "OK"}
			f.delivered <- r.Address
		}
		return res, nil
	}
	var err error
	f.q, err = queue.OpenMemory(queue.WithClock(f.clock), queue.WithRouter(queue.RouterFunc(route)),
		queue.WithDeliverer(queue.DelivererFunc(deliver)), queue.WithInFlowDelay(0),
		queue.WithEventHook(func(e queue.Event) { f.events <- e }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.q.Close(context.Background()) })
	opts = append([]manage.Option{manage.WithServerName("HubA"), manage.WithToken(testToken), manage.WithQueue(f.q), manage.WithClock(f.clock.Now)}, opts...)
	f.h, err = manage.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.h)
	t.Cleanup(f.srv.Close)
	return f
}

// enqueue queues a message and returns its ID once the event wanted for it
// (RECEIVE, DEFER ...) was reported.
func (f *fixture) enqueue(t *testing.T, from, rcpt string, want queue.EventType) queue.ID {
	t.Helper()
	id, err := f.q.Enqueue(context.Background(), queue.Envelope{From: from, Recipients: []queue.Recipient{{Address: rcpt}}},
		strings.NewReader("Subject: test\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.waitEvent(t, id, want)
	return id
}

func (f *fixture) waitEvent(t *testing.T, id queue.ID, want queue.EventType) {
	t.Helper()
	for e := range f.events {
		if e.ID == id && e.Type == want {
			return
		}
	}
}

// do sends an authenticated API request and returns status and body.
func (f *fixture) do(t *testing.T, method, cmdlet string, params url.Values) (int, string) {
	t.Helper()
	if method == http.MethodGet {
		return f.doBody(t, method, cmdlet+"?"+params.Encode(), "", nil)
	}
	return f.doBody(t, method, cmdlet, "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
}

// doBody sends an authenticated API request with body of type ct (none
// when ct is "") to /api/path.
func (f *fixture) doBody(t *testing.T, method, path, ct string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+"/api/"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// trackingLog opens a real message tracking log in a temporary directory.
func trackingLog(t *testing.T, opts ...tracking.Option) *tracking.Log {
	t.Helper()
	l, err := tracking.Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
