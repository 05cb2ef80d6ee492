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
