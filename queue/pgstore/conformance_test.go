package pgstore_test

import (
	"context"
	"strings"
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

// String shows where the queue is and never the DSN's password.
func TestString(t *testing.T) {
	c := pgtest.Shared(t)
	// The test cluster trusts local connections, so the password is sent
	// but not needed.
	s, err := pgstore.Open(context.Background(), pgstore.Config{DSN: c.NewDB(t) + " password=s3cretpw", Hub: "hub1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.String()
	if !strings.HasPrefix(got, "PostgreSQL ") || !strings.HasSuffix(got, ", hub hub1") {
		t.Errorf("String() = %q, want PostgreSQL host:port/database, hub hub1", got)
	}
	if strings.Contains(got, "s3cretpw") {
		t.Errorf("String() = %q shows the password", got)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
