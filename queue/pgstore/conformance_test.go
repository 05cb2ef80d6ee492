package pgstore_test

import (
	"context"
	"errors"
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

// A DSN that does not parse is never quoted where it may hold a password:
// pgx's own message showed what followed a space in a quoted password.
func TestOpenBadDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		secret  string // must not appear; "" for a DSN without one
		wantDSN bool   // whether the error is a *pgstore.DSNError
	}{
		{"host=127.0.0.1 password='s3cret PW", "PW", true},
		{"host=127.0.0.1 password=s3cret PW dbname=x", "PW", true},
		{"postgres://hub:s3cret PW@[::1:5432/x", "PW", true},
		{"host=127.0.0.1 PASSWORD='xq zq", "zq", true},
		{"host=127.0.0.1 port=notaport", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			_, err := pgstore.Open(context.Background(), pgstore.Config{DSN: tt.dsn, Hub: "hub1"})
			if err == nil {
				t.Fatal("Open succeeded")
			}
			var de *pgstore.DSNError
			if errors.As(err, &de) != tt.wantDSN {
				t.Errorf("error %q: DSNError %v, want %v", err, !tt.wantDSN, tt.wantDSN)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows part of the password", err)
			}
			if !tt.wantDSN && !strings.Contains(err.Error(), "notaport") {
				t.Errorf("error %q does not say what is wrong", err)
			}
		})
	}
}
