package queue

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Suspend-Queue Submission stops routing: a message enqueued meanwhile
// waits in Submission, unrouted, until ResumeQueue.
func TestSuspendSubmissionStopsRouting(t *testing.T) {
	routed := make(chan string, 4)
	route := RouterFunc(func(_ context.Context, _ *Envelope, r Recipient) (NextHop, error) {
		routed <- r.Address
		return NextHop{Kind: "DnsConnectorDelivery", Connector: "Internet", Domain: "fabrikam.com"}, nil
	})
	q, err := OpenMemory(WithRouter(route))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	if err := q.SuspendQueue(QueueSubmission); err != nil {
		t.Fatal(err)
	}
	id, err := q.Enqueue(context.Background(), Envelope{From: "a@contoso.com", Recipients: []Recipient{{Address: "b@fabrikam.com"}}}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	// Run the categorizer's step here too, so that the check below does
	// not depend on whether its goroutine got there first.
	if q.routeNext() {
		t.Error("routeNext routed a message while Submission is suspended")
	}
	select {
	case a := <-routed:
		t.Fatalf("router called for %s while Submission is suspended", a)
	default:
	}
	if got := q.Messages(Filter{Queue: QueueSubmission}); len(got) != 1 || got[0].ID != id {
		t.Fatalf("Submission holds %v, want %s", got, id)
	}
	if err := q.ResumeQueue(QueueSubmission); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-routed:
		if a != "b@fabrikam.com" {
			t.Fatalf("routed %s", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not routed after ResumeQueue")
	}
}
