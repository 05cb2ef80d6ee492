package pgpool_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// Get-Queue of the whole pool from one hub, and a Suspend-Message that
// reaches the hub owning the message.
func ExampleAttach() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: "host=db1.contoso.com dbname=hubedge user=hub", Hub: "hub01"})
	if err != nil {
		log.Fatal(err)
	}
	q, err := queue.OpenStore(s)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close(ctx)
	p := pgpool.Attach(q, s)
	msgs, err := p.Messages(ctx, queue.Filter{Status: queue.MessageRetry})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range msgs {
		fmt.Println(m.Hub, m.ID, m.From, m.NextRetryTime)
		if err := p.SuspendMessage(ctx, m.ID); err != nil {
			log.Fatal(err)
		}
	}
}

// Suspend a next hop for the whole pool from any hub, then make one
// hub's queue to it try again once it is resumed.
func ExamplePool_SuspendQueue() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: "host=db1.contoso.com dbname=hubedge user=hub", Hub: "hub01"})
	if err != nil {
		log.Fatal(err)
	}
	q, err := queue.OpenStore(s)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close(ctx)
	p := pgpool.Attach(q, s)
	qs, err := p.Queues(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, pq := range qs {
		if pq.Hub == "hub02" && pq.NextHopDomain == "fabrikam.com" {
			if err := p.SuspendQueue(ctx, pq.Hub, pq.Identity); err != nil { // every hub stops delivering there
				log.Fatal(err)
			}
			if err := p.ResumeQueue(ctx, pq.Hub, pq.Identity); err != nil {
				log.Fatal(err)
			}
			if err := p.RetryQueue(ctx, pq.Hub, pq.Identity); err != nil { // hub02 tries now
				log.Fatal(err)
			}
		}
	}
}
