package deliver_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testBody = "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: hello\r\n" +
	"Received: from a.contoso.com by hub1.contoso.com\r\n" +
	"X-MS-Exchange-Organization-SCL: -1\r\n" +
	"X-MS-Exchange-Forest-RulesExecuted: hub1\r\n\r\nbody line\r\n"

// outcome is what one Deliver call returned.
type outcome struct {
	id  queue.ID
	res []queue.Result
	err error
}

// harness runs a memory queue whose Router sends every recipient to hop
// and whose Deliverer is d, so Deliver sees real queue.Messages. DSNs the
// queue generates are swallowed. opts are added to the queue's options.
type harness struct {
	t   testing.TB
	q   *queue.Queue
	out chan outcome

	mu      sync.Mutex
	pending map[queue.ID]outcome
}

func newHarness(t testing.TB, d *deliver.Deliverer, hop queue.NextHop, opts ...queue.Option) *harness {
	t.Helper()
	h := &harness{t: t, out: make(chan outcome, 64), pending: map[queue.ID]outcome{}}
	router := queue.RouterFunc(func(_ context.Context, env *queue.Envelope, _ queue.Recipient) (queue.NextHop, error) {
		if env.From == "" {
			return queue.NextHop{Kind: "discard", Domain: "dsn"}, nil
		}
		return hop, nil
	})
	dlv := queue.DelivererFunc(func(ctx context.Context, hp queue.NextHop, m *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
		if hp.Kind == "discard" {
			res := make([]queue.Result, len(rcpts))
			for i := range res {
				res[i] = queue.Result{Code: 250}
			}
			return res, nil
		}
		res, err := d.Deliver(ctx, hp, m, rcpts)
		h.out <- outcome{id: m.ID, res: res, err: err}
		return res, err
	})
	retry := queue.DefaultRetryPolicy()
	retry.MessageRetryInterval, retry.TransientFailureRetryInterval, retry.OutboundConnectionFailureRetryInterval = time.Hour, time.Hour, time.Hour
	q, err := queue.OpenMemory(append([]queue.Option{queue.WithRouter(router), queue.WithDeliverer(dlv),
		queue.WithRetryPolicy(retry), queue.WithReportingMTA("hub1.contoso.com")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Close(ctx)
	})
	return h
}

// send enqueues one message and waits for its first delivery attempt.
func (h *harness) send(env queue.Envelope, body string) ([]queue.Result, error) {
	h.t.Helper()
	if len(env.Recipients) == 0 {
		env.Recipients = []queue.Recipient{{Address: "bob@fabrikam.com"}}
	}
	if env.From == "" {
		env.From = "alice@contoso.com"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id, err := h.q.Enqueue(ctx, env, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for {
		h.mu.Lock()
		o, ok := h.pending[id]
		h.mu.Unlock()
		if ok {
			return o.res, o.err
		}
		select {
		case o := <-h.out:
			h.mu.Lock()
			h.pending[o.id] = o
			h.mu.Unlock()
		case <-ctx.Done():
			h.t.Fatalf("no delivery attempt for %s", id)
		}
	}
}

func rcpts(addrs ...string) []queue.Recipient {
	out := make([]queue.Recipient, len(addrs))
	for i, a := range addrs {
		out[i] = queue.Recipient{Address: a}
	}
	return out
}

func mustNew(t testing.TB, opts ...deliver.Option) *deliver.Deliverer {
	t.Helper()
	d, err := deliver.New(append([]deliver.Option{deliver.WithServerName("hub1.contoso.com"),
		deliver.WithTimeouts(deliver.Timeouts{Connect: 5 * time.Second, Command: 10 * time.Second, Data: 10 * time.Second})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func port(t testing.TB, addr string) uint16 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint16(n)
}

// kindIs selects the trace events of kind k.
func kindIs(k deliver.EventKind) func(deliver.Event) bool {
	return func(e deliver.Event) bool { return e.Kind == k }
}
