package manage_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
)

// poolHub is one hub of a pool on PostgreSQL with its management API.
// Recipients at down.example get a connection error; every attempt is
// reported on tried.
type poolHub struct {
	q     *queue.Queue
	pool  *pgpool.Pool
	api   *manage.Client
	url   string // of the API and the Queue Viewer
	tried chan string
}

var downQueue = queue.NextHop{Connector: "Outbound", Kind: "DnsConnectorDelivery", Domain: "down.example"}.Key()

func newPoolHub(t *testing.T, dsn, name string, clock *queuetest.FakeClock) *poolHub {
	t.Helper()
	ctx := context.Background()
	h := &poolHub{tried: make(chan string, 10)}
	// Heartbeats on a clock nothing advances, notifications off: the test
	// does their work (Publish, Queues, RunCommands) when it wants it done.
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: dsn, Hub: name, Clock: queuetest.NewFakeClock(clock.Now()), NoNotify: true})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(_ context.Context, hop queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		h.tried <- rcpts[0].Address
		return nil, errors.New("dial tcp: connection refused")
	}
	h.q, err = queue.OpenStore(s, queue.WithClock(clock), queue.WithRouter(queue.RouterFunc(route)),
		queue.WithDeliverer(queue.DelivererFunc(deliver)), queue.WithInFlowDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.q.Close(context.Background()) })
	h.pool = pgpool.Attach(h.q, s)
	hd, err := manage.New(manage.WithToken(testToken), manage.WithPool(h.pool), manage.WithQueue(h.q))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hd)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	if h.api, err = manage.NewClient(srv.URL, testToken, srv.Client()); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *poolHub) enqueue(t *testing.T, rcpt string) queue.ID {
	t.Helper()
	id, err := h.q.Enqueue(context.Background(), queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: rcpt}}},
		strings.NewReader("Subject: pool\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (h *poolHub) waitTried(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-h.tried:
		if got != want {
			t.Fatalf("attempt for %s, want %s", got, want)
		}
	case <-time.After(queuetest.WaitDeadline):
		t.Fatalf("no attempt for %s within %v", want, queuetest.WaitDeadline)
	}
}

// inRetry waits until h's queue to down.example is in Retry after a
// failed connection.
func (h *poolHub) inRetry(t *testing.T) {
	t.Helper()
	queuetest.WaitQueue(t, h.q, downQueue, func(qi queue.QueueInfo) bool { return qi.Status == queue.QueueRetry })
}

func queuesByIdentity(t *testing.T, c *manage.Client, params url.Values) map[string]manage.QueueView {
	t.Helper()
	qs, err := c.GetQueue(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]manage.QueueView{}
	for _, q := range qs {
		out[q.Identity] = q
	}
	return out
}

func call(t *testing.T, c *manage.Client, cmdlet, identity string) {
	t.Helper()
	if _, err := c.Call(context.Background(), cmdlet, url.Values{"Identity": {identity}}); err != nil {
		t.Fatalf("%s -Identity %s: %v", cmdlet, identity, err)
	}
}

// Two hubs on one database, administered through either one's API:
// Get-Queue and Get-Message show both hubs; Suspend-Queue of hub02's
// queue from hub01 stops hub02's deliveries to that next hop, Retry-Queue
// reaches hub02, and Resume-Queue from hub02 restarts both hubs.
func TestPoolThroughAPI(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	h1, h2 := newPoolHub(t, dsn, "hub01", clock), newPoolHub(t, dsn, "hub02", clock)
	h1.enqueue(t, "bob@down.example")
	h1.waitTried(t, "bob@down.example")
	msg2 := h2.enqueue(t, "carol@down.example")
	h2.waitTried(t, "carol@down.example")
	h1.inRetry(t)
	h2.inRetry(t)
	for _, h := range []*poolHub{h1, h2} {
		if err := h.pool.Publish(ctx); err != nil { // their heartbeats' work
			t.Fatal(err)
		}
	}

	for name, h := range map[string]*poolHub{"hub01": h1, "hub02": h2} {
		qs := queuesByIdentity(t, h.api, nil)
		for _, id := range []string{`hub01\1`, `hub02\1`} {
			q := qs[id]
			if q.NextHopDomain != "down.example" || q.MessageCount != 1 || q.Status != "Retry" ||
				!strings.Contains(q.LastError, "connection refused") || q.NextRetryTime.IsZero() {
				t.Errorf("Get-Queue on %s shows %s as %+v", name, id, q)
			}
		}
		if _, ok := qs[`hub02\Submission`]; !ok {
			t.Errorf("Get-Queue on %s without hub02's Submission queue: %v", name, qs)
		}
		if qs := queuesByIdentity(t, h.api, url.Values{"Identity": {`hub02\down.example`}}); len(qs) != 1 {
			t.Errorf(`Get-Queue -Identity hub02\down.example on %s: %v`, name, qs)
		}
	}
	ms, err := h1.api.GetMessage(ctx, url.Values{"Queue": {`hub02\*`}})
	if err != nil || len(ms) != 1 || ms[0].Identity != `hub02\*\`+string(msg2) || ms[0].FromAddress != "alice@contoso.com" {
		t.Fatalf(`Get-Message -Queue hub02\* on hub01: %+v, %v`, ms, err)
	}
	if ms, err := h1.api.GetMessage(ctx, url.Values{"Identity": {string(msg2)}}); err != nil || len(ms) != 1 {
		t.Fatalf("Get-Message of hub02's message by its ID on hub01: %+v, %v", ms, err)
	}

	// The Queue Viewer of hub01 shows both hubs' queues, and on hub02's
	// queue all of hub02's messages.
	b := browser(t)
	if code, _, _ := fetch(t, b, "POST", h1.url+"/login", url.Values{"token": {testToken}}); code != 303 {
		t.Fatalf("Queue Viewer login: %d", code)
	}
	if code, page, _ := fetch(t, b, "GET", h1.url+"/", nil); code != 200 || !strings.Contains(page, `hub01\1`) || !strings.Contains(page, `hub02\1`) {
		t.Errorf("Queue Viewer's queues page on hub01: %d\n%s", code, page)
	}
	code, page, _ := fetch(t, b, "GET", h1.url+"/queue?Identity="+url.QueryEscape(`hub02\1`), nil)
	if code != 200 || !strings.Contains(page, `hub02\*\`+string(msg2)) || !strings.Contains(page, "Only hub02 knows") {
		t.Errorf("Queue Viewer's page of hub02's queue on hub01: %d\n%s", code, page)
	}

	// Suspended from hub01, the next hop is suspended on both hubs.
	call(t, h1.api, "Suspend-Queue", `hub02\down.example`)
	if _, err := h2.pool.Queues(ctx); err != nil { // hub02's heartbeat reads the pool state
		t.Fatal(err)
	}
	for _, id := range []string{`hub01\1`, `hub02\1`} {
		if q := queuesByIdentity(t, h2.api, nil)[id]; q.Status != "Suspended" {
			t.Errorf("Get-Queue on hub02 after Suspend-Queue shows %s as %s", id, q.Status)
		}
	}
	call(t, h1.api, "Retry-Queue", `hub02\1`)
	if n, err := h2.pool.RunCommands(ctx); err != nil || n != 1 {
		t.Fatalf("hub02 ran %d commands, %v", n, err)
	}
	clock.Advance(time.Hour) // past both hubs' retry times
	h2.enqueue(t, "dave@down.example")
	queuetest.WaitQueue(t, h2.q, downQueue, func(qi queue.QueueInfo) bool { return qi.MessageCount == 2 })
	if len(h1.tried)+len(h2.tried) != 0 {
		t.Fatal("a hub delivered to the suspended next hop")
	}
	_, err = h1.api.Call(ctx, "Export-Message", url.Values{"Identity": {`hub02\*\` + string(msg2)}})
	var apiErr *manage.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 409 {
		t.Errorf("Export-Message of another hub's message: %v, want 409", err)
	}

	// Resumed from hub02, the queue of either hub names the next hop; a
	// queue in Retry sends one probe.
	call(t, h2.api, "Resume-Queue", `hub01\1`)
	select {
	case a := <-h2.tried:
		if a != "carol@down.example" && a != "dave@down.example" {
			t.Fatalf("hub02 tried %s after Resume-Queue", a)
		}
	case <-time.After(queuetest.WaitDeadline):
		t.Fatal("hub02 tried nothing after Resume-Queue")
	}
	if _, err := h1.pool.Queues(ctx); err != nil { // hub01's heartbeat
		t.Fatal(err)
	}
	h1.waitTried(t, "bob@down.example")
}

// A command for a hub that stopped since the listing is refused, not
// queued for nobody.
func TestPoolHubStopped(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	ctx := context.Background()
	clock := queuetest.NewFakeClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	h1, h2 := newPoolHub(t, dsn, "hub01", clock), newPoolHub(t, dsn, "hub02", clock)
	if err := h2.pool.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	h2.q.Close(ctx) // releases hub02's lease
	_, err := h1.api.Call(ctx, "Suspend-Queue", url.Values{"Identity": {`hub02\Submission`}})
	var apiErr *manage.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != `no running hub for queue hub02\Submission` {
		t.Fatalf("Suspend-Queue of a stopped hub's queue: %v", err)
	}
}
