// Package stop holds what the servers' Close methods share: a Shutdown
// that does not wait.
package stop

import (
	"context"
	"errors"
)

// Now calls shutdown with a context that is already done, so sessions
// are cut short at once, and reports its error except the expected
// context.Canceled.
func Now(shutdown func(context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := shutdown(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
