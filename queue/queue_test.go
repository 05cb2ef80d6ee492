package queue_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"go.uber.org/goleak"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m)
}

func TestDeliverSuccess(t *testing.T) {
	d := newScripted(all(ok250))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcpt("bob@fabrikam.com"), rcpt("carol@fabrikam.com"), rcpt("dan@adatum.com"))
	h.wait(t, queue.EventReceive, id)
	got := map[string]string{}
	for range 2 {
		call := d.next(t)
		if call.body != testBody {
			t.Errorf("body = %q", call.body)
		}
		for _, r := range call.rcpts {
			got[r.Address] = call.hop.Key()
		}
	}
	want := map[string]string{
		"bob@fabrikam.com":   "DnsConnectorDelivery:Internet:fabrikam.com",
		"carol@fabrikam.com": "DnsConnectorDelivery:Internet:fabrikam.com",
		"dan@adatum.com":     "DnsConnectorDelivery:Internet:adatum.com",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s went to %q, want %q", k, got[k], v)
		}
	}
	h.wait(t, queue.EventDeliver, id)
	h.wait(t, queue.EventDeliver, id)
	waitGone(t, h.q, id)
	if n := h.rec.count(queue.EventDSN); n != 0 {
		t.Errorf("%d DSNs for a delivered message", n)
	}
}

// waitGone waits until id has left the queue (its deletion follows the
// DELIVER/FAIL events).
func waitGone(t *testing.T, q *queue.Queue, id queue.ID) {
	t.Helper()
	gone := pollUntil(func() bool {
		_, err := q.Message(id)
		return errors.Is(err, queue.ErrNotFound)
	})
	if !gone {
		t.Fatalf("message %s still queued", id)
	}
}

func TestEnqueueValidation(t *testing.T) {
	h := newHarness(t, queue.WithMaxMessageSize(10))
	ctx := context.Background()
	if _, err := h.q.Enqueue(ctx, queue.Envelope{From: "a@b.c"}, strings.NewReader("x")); !errors.Is(err, queue.ErrNoRecipients) {
		t.Errorf("no recipients: %v", err)
	}
	env := queue.Envelope{From: "a@b.c", Recipients: []queue.Recipient{rcpt("d@e.f")}}
	if _, err := h.q.Enqueue(ctx, env, strings.NewReader("01234567890")); !errors.Is(err, queue.ErrTooLarge) {
		t.Errorf("11 bytes over a 10-byte cap: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.q.Enqueue(cctx, env, strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	id, err := h.q.Enqueue(ctx, env, strings.NewReader("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	mi, err := h.q.Message(id)
	if err != nil || mi.Size != 10 || !mi.Received.Equal(t0) {
		t.Errorf("Message = %+v, %v", mi, err)
	}
	if got := len(h.q.Messages(queue.Filter{})); got != 1 {
		t.Errorf("%d messages, want 1 (rejected ones must not remain)", got)
	}
}

func TestLargeBodyStreams(t *testing.T) {
	dir := t.TempDir()
	q, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16+7) // 5 MiB + 112 bytes: several chunks and flushes
	env := queue.Envelope{From: "a@b.c", Recipients: []queue.Recipient{rcpt("d@e.f")}}
	id, err := q.Enqueue(context.Background(), env, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	q, err = queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	if err := q.SuspendMessage(id); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := q.Export(id, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), body) {
		t.Fatalf("exported %d bytes, want %d identical", out.Len(), len(body))
	}
}

func TestNullSenderNeverGetsDSN(t *testing.T) {
	d := newScripted(all(perm550))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "", rcpt("bob@fabrikam.com"))
	d.next(t)
	h.wait(t, queue.EventFail, id)
	waitGone(t, h.q, id)
	if n := h.rec.count(queue.EventDSN); n != 0 {
		t.Errorf("%d DSNs to the null sender", n)
	}
}

func TestNotifyNever(t *testing.T) {
	d := newScripted(all(perm550))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id := h.enqueue(t, "alice@contoso.com", rcptN("bob@fabrikam.com", dsn.NotifyNever))
	d.next(t)
	h.wait(t, queue.EventFail, id)
	waitGone(t, h.q, id)
	if n := h.rec.count(queue.EventDSN); n != 0 {
		t.Errorf("%d DSNs despite NOTIFY=NEVER", n)
	}
}

// A body reader that fails with io.ErrUnexpectedEOF (a client dropping
// mid-DATA) must not be committed as a short message.
func TestEnqueueTruncatedBodyIsAnError(t *testing.T) {
	q, err := queue.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	body := io.MultiReader(strings.NewReader("Subject: x\r\n\r\npartial"), iotest.ErrReader(io.ErrUnexpectedEOF))
	env := queue.Envelope{From: "a@example.com", Recipients: []queue.Recipient{{Address: "b@example.com"}}}
	if _, err := q.Enqueue(context.Background(), env, body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Enqueue = %v, want io.ErrUnexpectedEOF", err)
	}
	if msgs := q.Messages(queue.Filter{}); len(msgs) != 0 {
		t.Fatalf("%d messages stored after a failed enqueue", len(msgs))
	}
}

// NewID lets a caller stamp the ID into the message before enqueuing it;
// each reserved ID enqueues once, and no other ID is accepted.
func TestEnqueueWithID(t *testing.T) {
	q, err := queue.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	ctx := context.Background()
	env := queue.Envelope{From: "a@example.com", Recipients: []queue.Recipient{{Address: "b@example.com"}}}
	id := q.NewID()
	body := "Received: by hub id " + string(id) + "\r\n\r\nhi\r\n"
	if err := q.EnqueueWithID(ctx, id, env, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Message(id); err != nil {
		t.Fatalf("Message(%s): %v", id, err)
	}
	for name, bad := range map[string]queue.ID{"reused": id, "not reserved": "06H0000000000000000000000"} {
		if err := q.EnqueueWithID(ctx, bad, env, strings.NewReader(body)); !errors.Is(err, queue.ErrUnknownID) {
			t.Errorf("%s: EnqueueWithID = %v, want ErrUnknownID", name, err)
		}
	}
}
