package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

const fabrikamQueue = "DnsConnectorDelivery:Internet:fabrikam.com"

// byDomain replies per recipient domain; domains not listed get 250.
func byDomain(m map[string]queue.Result) func(d delivery) ([]queue.Result, error) {
	return func(d delivery) ([]queue.Result, error) {
		out := make([]queue.Result, len(d.rcpts))
		for i, r := range d.rcpts {
			_, dom, _ := strings.Cut(r.Address, "@")
			if res, ok := m[dom]; ok {
				out[i] = res
			} else {
				out[i] = ok250
			}
		}
		return out, nil
	}
}

func queueInfo(t *testing.T, q *queue.Queue, identity string) queue.QueueInfo {
	t.Helper()
	for _, qi := range q.Queues() {
		if qi.Identity == identity {
			return qi
		}
	}
	t.Fatalf("no queue %q in %+v", identity, q.Queues())
	return queue.QueueInfo{}
}

// TestConnectionFailureSchedule checks SPEC §6.3: after a connection
// failure the queue retries TransientFailureRetryCount times at
// TransientFailureRetryInterval, then at OutboundConnectionFailureRetryInterval.
func TestConnectionFailureSchedule(t *testing.T) {
	d := newScripted(func(delivery) ([]queue.Result, error) { return nil, errors.New("dial tcp: connection refused") })
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	for attempt := 1; attempt <= 9; attempt++ {
		d.next(t)
		ev := h.wait(t, queue.EventDefer, id)
		if ev.Err == nil || ev.Result.Code != 451 {
			t.Fatalf("attempt %d: DEFER event %+v", attempt, ev)
		}
		want := 5 * time.Minute
		if attempt > 6 {
			want = 10 * time.Minute
		}
		qi := queueInfo(t, h.q, fabrikamQueue)
		if qi.Status != queue.QueueRetry || !qi.NextRetryTime.Equal(h.clock.Now().Add(want)) {
			t.Fatalf("attempt %d: queue %s next %v, want Retry at now+%v", attempt, qi.Status, qi.NextRetryTime.Sub(h.clock.Now()), want)
		}
		if !strings.Contains(qi.LastError, "connection refused") {
			t.Errorf("LastError = %q", qi.LastError)
		}
		h.clock.Advance(want)
	}
}

func TestTransientRecipientRetry(t *testing.T) {
	replies := make(chan queue.Result, 2)
	replies <- tmp451
	replies <- ok250
	d := newScripted(func(delivery) ([]queue.Result, error) { return []queue.Result{<-replies}, nil })
	retry := queue.DefaultRetryPolicy()
	retry.MessageRetryInterval = 3 * time.Minute
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d), queue.WithRetryPolicy(retry))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	d.next(t)
	h.wait(t, queue.EventDefer, id)
	mi, err := h.q.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if mi.Status != queue.MessageRetry || !mi.NextRetryTime.Equal(t0.Add(3*time.Minute)) || mi.RetryCount != 1 {
		t.Fatalf("after 451: %+v", mi)
	}
	if qi := queueInfo(t, h.q, fabrikamQueue); qi.Status == queue.QueueRetry {
		t.Errorf("a recipient 4xx must not put the queue in Retry")
	}
	h.clock.Advance(3 * time.Minute)
	call := d.next(t)
	if call.msg.Attempts != 1 {
		t.Errorf("second attempt sees Attempts=%d", call.msg.Attempts)
	}
	h.wait(t, queue.EventDeliver, id)
	waitGone(t, h.q, id)
}

// dsnFor waits for the DSN about id, for the delivery that carries it to
// the sender, and parses it.
func (h *harness) dsnFor(t *testing.T, d *scripted, id queue.ID) (*dsn.Report, delivery) {
	t.Helper()
	ev := h.rec.next(t, new(int), func(e queue.Event) bool { return e.Type == queue.EventDSN && e.RelatedID == id })
	{
		call := d.nextFor(t, ev.ID)
		if call.msg.Envelope.From != "" {
			t.Fatalf("DSN sent from %q, want the null sender", call.msg.Envelope.From)
		}
		rep, err := dsn.Parse(strings.NewReader(call.body))
		if err != nil {
			t.Fatalf("DSN does not parse: %v\n%s", err, call.body)
		}
		return rep, call
	}
}

func TestPermanentFailureDSN(t *testing.T) {
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": perm550}))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"), rcpt("dan@adatum.com"))
	rep, call := h.dsnFor(t, d, id)
	if call.rcpts[0].Address != "alice@contoso.com" {
		t.Errorf("DSN to %v", call.rcpts)
	}
	if len(rep.Recipients) != 1 {
		t.Fatalf("DSN reports %d recipients, want only the failed one: %+v", len(rep.Recipients), rep.Recipients)
	}
	rr := rep.Recipients[0]
	if rr.Action != dsn.Failed || rr.Status.String() != "5.1.1" || !strings.Contains(rr.DiagnosticCode, "550 5.1.1 User unknown") || rr.RemoteMTA != "mx.fabrikam.com" {
		t.Errorf("report %+v", rr)
	}
	if rep.ReportingMTA != "hub1.contoso.com" {
		t.Errorf("Reporting-MTA %q", rep.ReportingMTA)
	}
	if !strings.Contains(call.body, "Subject: hello") {
		t.Error("DSN lacks the original headers")
	}
	if strings.Contains(call.body, "Hi Bob.") {
		t.Error("DSN carries the body although RET was not FULL")
	}
	if n := h.rec.count(queue.EventDSN); n != 1 {
		t.Errorf("%d DSNs, want 1", n)
	}
}

func TestExpiry(t *testing.T) {
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": tmp451}))
	retry := queue.DefaultRetryPolicy()
	retry.MessageRetryInterval, retry.MessageExpirationTimeout, retry.DelayNotificationTimeout = 20*time.Minute, time.Hour, 0
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d), queue.WithRetryPolicy(retry))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"))
	for range 3 { // attempts at 0, 20 and 40 minutes
		d.nextFor(t, id)
		h.wait(t, queue.EventDefer, id)
		h.clock.Advance(20 * time.Minute)
	}
	ev := h.wait(t, queue.EventFail, id)
	if ev.Result.Enhanced != "4.4.7" || !strings.Contains(ev.Result.Text, "QUEUE.Expired") || !strings.Contains(ev.Result.Text, "try later") {
		t.Errorf("expiry result %+v", ev.Result)
	}
	rep, _ := h.dsnFor(t, d, id)
	if rr := rep.Recipients[0]; rr.Action != dsn.Failed || rr.Status.String() != "4.4.7" {
		t.Errorf("expiry report %+v", rr)
	}
	waitGone(t, h.q, id)
}

func TestDelayDSNOnce(t *testing.T) {
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": tmp451}))
	retry := queue.DefaultRetryPolicy()
	retry.MessageRetryInterval, retry.DelayNotificationTimeout = 30*time.Minute, time.Hour
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d), queue.WithRetryPolicy(retry))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"), rcptN("carol@fabrikam.com", dsn.NotifyFailure))
	for range 5 { // attempts at 0, 30, 60, 90, 120 minutes
		d.nextFor(t, id)
		h.wait(t, queue.EventDefer, id)
		h.clock.Advance(30 * time.Minute)
	}
	rep, _ := h.dsnFor(t, d, id)
	if len(rep.Recipients) != 1 {
		t.Fatalf("delay DSN reports %+v; carol asked for FAILURE only", rep.Recipients)
	}
	rr := rep.Recipients[0]
	if rr.Action != dsn.Delayed || rr.FinalRecipient != "rfc822; bob@fabrikam.com" && rr.FinalRecipient != "rfc822;bob@fabrikam.com" || rr.Status.Class != 4 {
		t.Errorf("delay report %+v", rr)
	}
	if !rr.WillRetryUntil.Equal(t0.Add(48 * time.Hour)) {
		t.Errorf("Will-Retry-Until %v", rr.WillRetryUntil)
	}
	if n := h.rec.count(queue.EventDSN); n != 1 {
		t.Errorf("%d DSNs after 2 h, want exactly one delay DSN", n)
	}
}

func TestNotifySuccess(t *testing.T) {
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcptN("bob@fabrikam.com", dsn.NotifySuccess|dsn.NotifyFailure))
	rep, _ := h.dsnFor(t, d, id)
	if rr := rep.Recipients[0]; rr.Action != dsn.Delivered || rr.Status.Class != 2 {
		t.Errorf("success report %+v", rr)
	}
}

func TestRetFullReturnsBody(t *testing.T) {
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": perm550}))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	env := queue.Envelope{From: "alice@contoso.com", Ret: dsn.RetFull, EnvID: "QQ314159", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com", ORCPT: "rfc822;Bob@Fabrikam.com"}}}
	id, err := h.q.Enqueue(context.Background(), env, strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	rep, call := h.dsnFor(t, d, id)
	if !strings.Contains(call.body, "Hi Bob.") {
		t.Error("RET=FULL DSN lacks the body")
	}
	if rep.EnvID != "QQ314159" || !strings.Contains(rep.Recipients[0].OriginalRecipient, "Bob@Fabrikam.com") {
		t.Errorf("ENVID/ORCPT not reported: %+v", rep)
	}
}

func TestRouting(t *testing.T) {
	routable := make(chan struct{})
	router := queue.RouterFunc(func(ctx context.Context, env *queue.Envelope, r queue.Recipient) (queue.NextHop, error) {
		switch {
		case strings.HasSuffix(r.Address, "@nowhere.test"):
			select {
			case <-routable:
			default:
				return queue.NextHop{}, queue.ErrUnroutable
			}
		case strings.HasSuffix(r.Address, "@blocked.test"):
			return queue.NextHop{}, &queue.Result{Code: 550, Enhanced: "5.7.1", Text: "Delivery not authorized"}
		}
		return hopByDomain().Route(ctx, env, r)
	})
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(router), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("x@nowhere.test"), rcpt("y@blocked.test"))
	h.wait(t, queue.EventUnreachable, id)
	rep, _ := h.dsnFor(t, d, id)
	if len(rep.Recipients) != 1 || rep.Recipients[0].Status.String() != "5.7.1" {
		t.Errorf("routing failure DSN %+v", rep.Recipients)
	}
	if qi := queueInfo(t, h.q, queue.QueueUnreachable); qi.MessageCount != 1 {
		t.Errorf("Unreachable queue %+v", qi)
	}
	close(routable)
	if n := h.q.RetryUnreachable(); n != 1 {
		t.Errorf("RetryUnreachable resubmitted %d", n)
	}
	h.wait(t, queue.EventDeliver, id)
	waitGone(t, h.q, id)
}

func TestUnreachableRemovedWithNDR(t *testing.T) {
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(hopByDomain("nowhere.test")), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("x@nowhere.test"))
	h.wait(t, queue.EventUnreachable, id)
	if err := h.q.RemoveMessage(id, true); err != nil {
		t.Fatal(err)
	}
	rep, _ := h.dsnFor(t, d, id)
	if st := rep.Recipients[0].Status.String(); st != "5.4.4" {
		t.Errorf("NDR status %s, want 5.4.4", st)
	}
	waitGone(t, h.q, id)
}
