package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMigrate(t *testing.T) {
	if len(migrations) != SchemaVersion {
		t.Fatalf("SchemaVersion %d, but %d migrations", SchemaVersion, len(migrations))
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		from    int // schema version written first; -1: a version from the future
		wantErr error
	}{
		{"empty database", 0, nil},
		{"version 1", 1, nil},
		{"version 2", 2, nil},
		{"current", SchemaVersion, nil},
		{"newer release", -1, ErrSchemaTooNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.Shared(t).NewDB(t)
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			exec := func(sql string, args ...any) {
				t.Helper()
				if _, err := conn.Exec(ctx, sql, args...); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case tc.from < 0:
				exec("CREATE TABLE hubedge_schema (version integer NOT NULL); INSERT INTO hubedge_schema VALUES (99)")
			case tc.from > 0:
				exec("CREATE TABLE hubedge_schema (version integer NOT NULL)")
				for _, m := range migrations[:tc.from] {
					exec(m)
				}
				exec("INSERT INTO hubedge_schema VALUES ($1)", tc.from)
			}
			s, err := Open(ctx, Config{DSN: dsn, Hub: "hub1"})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Open = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			defer s.Close()
			var v int
			if err := conn.QueryRow(ctx, "SELECT version FROM hubedge_schema").Scan(&v); err != nil || v != SchemaVersion {
				t.Fatalf("schema version after Open = %d, %v; want %d", v, err, SchemaVersion)
			}
			if _, err := s.Send(ctx, "NONE", "suspend"); err == nil {
				t.Fatal("Send for a message nobody has succeeded")
			}
		})
	}
}
