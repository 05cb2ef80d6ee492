package queue_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hubedge/hubedge/queue"
)

// A queue with a Router that sends every recipient through one smart host
// and a Deliverer that accepts everything. The event hook reports what
// happens.
func Example() {
	delivered := make(chan queue.Event, 1)
	q, err := queue.OpenMemory(
		queue.WithRouter(queue.RouterFunc(func(context.Context, *queue.Envelope, queue.Recipient) (queue.NextHop, error) {
			return queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.contoso.com"}, nil
		})),
		queue.WithDeliverer(queue.DelivererFunc(func(_ context.Context, hop queue.NextHop, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
			res := make([]queue.Result, len(rcpts))
			for i := range res {
				res[i] = queue.Result{Code: 250, Enhanced: "2.0.0", Text: "Queued", RemoteMTA: hop.Domain}
			}
			return res, nil
		})),
		queue.WithEventHook(func(e queue.Event) {
			if e.Type == queue.EventDeliver {
				delivered <- e
			}
		}),
	)
	if err != nil {
		panic(err)
	}
	defer q.Close(context.Background())

	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		panic(err)
	}
	e := <-delivered
	fmt.Println(e.Type, e.Queue, e.Recipients, e.Result)
	// Output: DELIVER SmartHostConnectorDelivery:Outbound:relay.contoso.com [bob@fabrikam.com] 250 2.0.0 Queued
}

// Retry intervals default to the Hub Transport values; EdgeRetryPolicy
// gives the Edge ones. A policy is a value: change one field of a copy
// and hand it to WithRetryPolicy.
func ExampleRetryPolicy() {
	p := queue.EdgeRetryPolicy()
	fmt.Println(p.TransientFailureRetryCount, p.TransientFailureRetryInterval, p.OutboundConnectionFailureRetryInterval, p.MessageExpirationTimeout)
	p.MessageExpirationTimeout = 24 * time.Hour // Set-TransportServer -MessageExpirationTimeout 1.00:00:00
	q, err := queue.OpenMemory(queue.WithRetryPolicy(p))
	if err != nil {
		panic(err)
	}
	defer q.Close(context.Background())
	// Output: 6 10m0s 30m0s 48h0m0s
}

// redirector is a MessageRouter that redirects one address and routes
// every recipient to one smart host.
type redirector struct{ from, to string }

func (r redirector) Route(context.Context, *queue.Envelope, queue.Recipient) (queue.NextHop, error) {
	return queue.NextHop{Connector: "Outbound", Kind: "SmartHostConnectorDelivery", Domain: "relay.contoso.com"}, nil
}

func (r redirector) RouteMessage(ctx context.Context, msg *queue.Message, rcpts []queue.Recipient) ([]queue.Route, error) {
	routes := make([]queue.Route, len(rcpts))
	for i, rc := range rcpts {
		if rc.Address == r.from {
			rc.Address = r.to
		}
		routes[i].Recipient = rc
		routes[i].Hop, routes[i].Err = r.Route(ctx, &msg.Envelope, rc)
	}
	return routes, nil
}

// A MessageRouter sees each message once, before its recipients join their
// delivery queues, and may change them: here bob's mail goes to carol, and
// the original recipient is kept as ORCPT for DSNs.
func ExampleMessageRouter() {
	delivered := make(chan []queue.Recipient, 1)
	q, err := queue.OpenMemory(
		queue.WithRouter(redirector{from: "bob@fabrikam.com", to: "carol@fabrikam.com"}),
		queue.WithDeliverer(queue.DelivererFunc(func(_ context.Context, _ queue.NextHop, _ *queue.Message, rcpts []queue.Recipient) ([]queue.Result, error) {
			delivered <- rcpts
			return []queue.Result{{Code: 250, Enhanced: "2.0.0", Text: "Queued"}}, nil
		})),
	)
	if err != nil {
		panic(err)
	}
	defer q.Close(context.Background())

	env := queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}}
	if _, err := q.Enqueue(context.Background(), env, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		panic(err)
	}
	rcpts := <-delivered
	fmt.Println(rcpts[0].Address, rcpts[0].ORCPT)
	// Output: carol@fabrikam.com rfc822;bob@fabrikam.com
}
