package manage_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/hubedge/hubedge/internal/pgtest"
	"go.uber.org/goleak"
)

// TestMain removes the PostgreSQL cluster of the pool tests, then checks
// that no test left a goroutine behind.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
