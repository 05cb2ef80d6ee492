package manage_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/hubedge/hubedge/manage"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgpool"
	"github.com/hubedge/hubedge/queue/pgstore"
)

// Mount the Handler on a listener (here an httptest server on loopback),
// then call it with a Client as the hubedge command line does.
func Example() {
	q, err := queue.OpenMemory() // a real server passes its *queue.Queue
	if err != nil {
		panic(err)
	}
	defer q.Close(context.Background())
	q.SuspendQueue(queue.QueueSubmission)

	const token = "example-token-0123456789"
	h, err := manage.New(manage.WithServerName("HubA"), manage.WithToken(token), manage.WithQueue(q),
		manage.WithMetrics(manage.NewMetrics(q, nil)))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	c, err := manage.NewClient(srv.URL, token, nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := c.Run(ctx, os.Stdout, []string{"Get-Queue"}); err != nil {
		panic(err)
	}
	if err := c.Run(ctx, os.Stdout, []string{"Resume-Queue", "-Identity", `HubA\Submission`}); err != nil {
		panic(err)
	}
	fmt.Println(c.Run(ctx, os.Stdout, []string{"Retry-Queue", "-Identity", `HubA\9`}))
	// Output:
	// Identity        DeliveryType Status    MessageCount NextHopDomain
	// --------        ------------ ------    ------------ -------------
	// HubA\Submission Undefined    Suspended 0
	// no queue HubA\9
}

// A hub of a pool on PostgreSQL serves the pool's queues: every hub's,
// named by hub, and actions that reach the hub concerned.
func ExampleWithPool() {
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pgstore.Config{DSN: "host=db1.contoso.com dbname=hubedge user=hub", Hub: "hub01"})
	if err != nil {
		panic(err)
	}
	q, err := queue.OpenStore(s)
	if err != nil {
		panic(err)
	}
	defer q.Close(ctx)
	h, err := manage.New(manage.WithToken("example-token-0123456789"), manage.WithPool(pgpool.Attach(q, s)), manage.WithQueue(q))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, _ := manage.NewClient(srv.URL, "example-token-0123456789", nil)
	// Lists hub01\Submission, hub02\Submission, hub02\1 ...; suspends
	// the next hop of hub02's queue 1 on every hub.
	c.Run(ctx, os.Stdout, []string{"Get-Queue"})
	c.Run(ctx, os.Stdout, []string{"Suspend-Queue", "-Identity", `hub02\1`})
}
