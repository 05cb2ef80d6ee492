package stop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hubedge/hubedge/internal/stop"
)

func TestNow(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"clean", nil, nil},
		{"cut short", context.Canceled, nil},
		{"failed", boom, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sawDone bool
			got := stop.Now(func(ctx context.Context) error {
				sawDone = ctx.Err() != nil
				return tc.err
			})
			if !errors.Is(got, tc.want) || !sawDone {
				t.Errorf("Now = %v (context done: %v), want %v", got, sawDone, tc.want)
			}
		})
	}
}
