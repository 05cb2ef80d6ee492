package smtptest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// A Recorder behind a real queue: each message comes back once, with its
// next hop, envelope, recipients and body, and every recipient accepted.
func TestRecorder(t *testing.T) {
	rec := smtptest.NewRecorder()
	hop := queue.NextHop{Kind: "SmartHostConnectorDelivery", Connector: "out", Domain: "relay.contoso.com"}
	q, err := queue.OpenMemory(queue.WithDeliverer(rec),
		queue.WithRouter(queue.RouterFunc(func(context.Context, *queue.Envelope, queue.Recipient) (queue.NextHop, error) { return hop, nil })))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	tests := []struct {
		from  string
		rcpts []string
		body  string
	}{
		{"a@contoso.com", []string{"b@fabrikam.com"}, "Subject: one\r\n\r\nfirst\r\n"},
		{"c@contoso.com", []string{"d@fabrikam.com", "e@fabrikam.com"}, "Subject: two\r\n\r\nsecond\r\n"},
	}
	for _, tt := range tests {
		env := queue.Envelope{From: tt.from}
		for _, r := range tt.rcpts {
			env.Recipients = append(env.Recipients, queue.Recipient{Address: r})
		}
		id, err := q.Enqueue(context.Background(), env, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		d := rec.Wait(t)
		if d.ID != id || d.Hop != hop || d.Env.From != tt.from || d.Body != tt.body || strings.Join(d.Rcpts, ",") != strings.Join(tt.rcpts, ",") {
			t.Errorf("recorded %+v, want message %s from %s to %v", d, id, tt.from, tt.rcpts)
		}
	}
	if n := rec.Pending(); n != 0 {
		t.Errorf("%d deliveries left unread", n)
	}
}
