package pgstore_test

import (
	"context"
	"log"

	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// A hub of a pool: its queue lives in the pool's database, under the
// hub's own name. Another hub adopts its messages if it dies.
func ExampleOpen() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: "host=db1.contoso.com dbname=hubedge user=hub", Hub: "hub01"})
	if err != nil {
		log.Fatal(err)
	}
	q, err := queue.OpenStore(s) // add WithRouter and WithDeliverer
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close(ctx) // releases the lease: the others adopt what is left at once
}
