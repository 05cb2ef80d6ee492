package pgstore_test

import (
	"context"
	"testing"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/queue/queuetest"
)

func TestConformance(t *testing.T) {
	c := pgtest.Shared(t)
	dsns := map[queue.Store]string{}
	open := func(t *testing.T, dsn string) queue.Store {
		s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: dsn, Hub: "hub1"})
		if err != nil {
			t.Fatal(err)
		}
		dsns[s] = dsn
		return s
	}
	queuetest.TestStore(t, queuetest.StoreOpener{
		Open: func(t *testing.T) queue.Store { return open(t, c.NewDB(t)) },
		Crash: func(t *testing.T, s queue.Store) queue.Store {
			pgstore.Crash(s.(*pgstore.Store))
			return open(t, dsns[s])
		},
	})
}

func TestMain(m *testing.M) { pgtest.Main(m) }
