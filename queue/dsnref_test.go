package queue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
)

// TestDSNReferences: a DSN and the message it reports on name each other
// by Message-ID in their events, which the tracking log's reference
// column carries; queue IDs do not survive a hop, Message-IDs do.
func TestDSNReferences(t *testing.T) {
	const orig = "<m1@contoso.com>"
	d := newScripted(byDomain(map[string]queue.Result{"fabrikam.com": perm550}))
	h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d))
	id, err := h.q.Enqueue(context.Background(), queue.Envelope{From: "alice@contoso.com", MessageID: orig,
		Recipients: []queue.Recipient{rcpt("bob@fabrikam.com")}}, strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	ev := h.rec.next(t, new(int), func(e queue.Event) bool { return e.Type == queue.EventDSN && e.RelatedID == id })
	own := "<" + string(ev.ID) + "@hub1.contoso.com>"
	if ev.MessageID != own || ev.Reference != orig {
		t.Errorf("DSN event: Message-ID %q, reference %q; want %q, %q", ev.MessageID, ev.Reference, own, orig)
	}
	call := d.nextFor(t, ev.ID)
	if !strings.Contains(call.body, "Message-ID: "+own+"\r\n") {
		t.Errorf("the DSN's own Message-ID field is not %s:\n%s", own, call.body)
	}
	for _, typ := range []queue.EventType{queue.EventReceive, queue.EventDeliver} {
		if e := h.rec.next(t, new(int), is(typ, ev.ID)); e.MessageID != own || e.Reference != orig {
			t.Errorf("the DSN's %s: Message-ID %q, reference %q; want %q, %q", typ, e.MessageID, e.Reference, own, orig)
		}
	}
	if e := h.rec.next(t, new(int), is(queue.EventFail, id)); e.MessageID != orig || e.Reference != "" {
		t.Errorf("the original's FAIL: Message-ID %q, reference %q; want %q and none", e.MessageID, e.Reference, orig)
	}
}
