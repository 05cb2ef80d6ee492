package pgtest_test

import (
	"context"
	"testing"

	"github.com/hubedge/hubedge/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestStartRestart(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	ctx := context.Background()
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	var fsync, sync string
	if err := conn.QueryRow(ctx, "SELECT n, current_setting('fsync'), current_setting('synchronous_commit') FROM kept").Scan(&n, &fsync, &sync); err != nil {
		t.Fatal(err)
	}
	if n != 1 || fsync != "on" || sync != "on" {
		t.Fatalf("after a crash and restart: n=%d fsync=%s synchronous_commit=%s", n, fsync, sync)
	}
}
