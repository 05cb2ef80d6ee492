package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// run builds the world, plays the five steps in order and tears everything
// down. The first failing step ends the story: later steps depend on the
// mail flow the earlier ones proved.
func run(ctx context.Context, out io.Writer, o options) (err error) {
	dir, err := os.MkdirTemp("", "hubedge-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if o.Keep {
		fmt.Fprintf(out, "keeping %s\n", dir)
	} else {
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	}

	w, err := newWorld(ctx, dir, out, o.Verbose)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.close()) }()
	w.describe()

	steps := []struct {
		title string
		play  func(context.Context) error
	}{
		{"Internet → edge → hub → mailbox", w.step1Inbound},
		{"mailbox user → hub → edge → Internet", w.step2Outbound},
		{"anonymous relay attempt at the edge", w.step3Relay},
		{"the Internet MTA is down, then back", w.step4Retry},
		{"a permanent failure comes back as an NDR", w.step5NDR},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "\n[%d] %s\n", i+1, s.title)
		began := time.Now()
		err := s.play(ctx)
		w.trace.flush()
		if err != nil {
			fmt.Fprintf(out, "[%d] ✗ %v\n", i+1, err)
			if o.Verbose {
				fmt.Fprintf(out, "--- fabrikam.com sink dialogue ---\n%s", w.sink.Dialogue())
			}
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
		fmt.Fprintf(out, "[%d] ✓ (%v)\n", i+1, time.Since(began).Round(time.Millisecond))
	}
	if o.Verbose {
		fmt.Fprintf(out, "\n--- fabrikam.com sink dialogue ---\n%s", w.sink.Dialogue())
	}
	return nil
}
