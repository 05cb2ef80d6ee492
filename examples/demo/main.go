// Command demo plays hubedge's Edge/Hub story on loopback, in one process,
// and proves every step: a fake DNS, an "Internet" MTA for fabrikam.com,
// an Edge transport server (edge01.contoso.net) and a Hub transport server
// (hub01.contoso.com) wired as in "How to Configure Mail Flow Between an
// Edge Transport Server and Hub Transport Servers Without Using EdgeSync"
// (seed 001). It needs nothing but Go:
//
//	go run ./examples/demo          # one line per step: what it proved
//	go run ./examples/demo -v       # the story: routing choices, logins, queue IDs,
//	                                # every trace event and the SMTP transcript
//	go run ./examples/demo -keep    # keep the Maildirs and queues to look at
//
// It exits non-zero if any step fails to do what it promises.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// options are the command-line switches of the demo.
type options struct {
	Verbose bool // tell the whole story: every trace event and the sink's SMTP dialogue
	Keep    bool // keep the temporary directory (Maildirs, queues)
}

func main() {
	var o options
	flag.BoolVar(&o.Verbose, "v", false, "tell the whole story: every trace event and the SMTP transcripts")
	flag.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (Maildirs and queues)")
	flag.Parse()

	// The whole story must fit in 15 seconds; a stuck step fails rather
	// than hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	start := time.Now()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintf(os.Stderr, "demo: FAILED: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("all steps passed in %v\n", time.Since(start).Round(time.Millisecond))
}

// run builds the world, plays the six steps in order and tears everything
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
	if o.Verbose {
		w.describe()
	}

	// Each proof is what the step checks: it is printed only if it held.
	steps := []struct {
		title, proof string
		play         func(context.Context) error
	}{
		{"Internet → edge → hub → mailbox", "forged X-MS-Exchange-Organization-SCL removed at the edge", w.step1Inbound},
		{"mailbox user → hub → edge → Internet", "organization headers cross hub→edge, stripped edge→Internet", w.step2Outbound},
		{"anonymous relay attempt at the edge", "550 5.7.1 Unable to relay (after the 5 s tarpit)", w.step3Relay},
		{"the Internet MTA is down, then back", "the message waits in Retry, Retry-Queue delivers it", w.step4Retry},
		{"a permanent failure comes back as an NDR", "RFC 3464 DSN in the sender's Maildir", w.step5NDR},
		{"spam from the Internet at the edge", "content filter: SCL 9, 550 5.7.1 before queuing", w.step6Spam},
	}
	for i, s := range steps {
		if o.Verbose {
			fmt.Fprintf(out, "\n[%d] %s\n", i+1, s.title)
		}
		began := time.Now()
		err := s.play(ctx)
		// Without -v the story is told only when a step fails, to show
		// what happened before the failure.
		if o.Verbose || err != nil {
			w.trace.flush()
		} else {
			w.trace.discard()
		}
		if err != nil {
			fmt.Fprintf(out, "[%d] ✗ %s: %v\n", i+1, s.title, err)
			if o.Verbose {
				fmt.Fprintf(out, "--- fabrikam.com sink dialogue ---\n%s", w.sink.Dialogue())
			}
			return fmt.Errorf("step %d (%s): %w", i+1, s.title, err)
		}
		fmt.Fprintf(out, "[%d] %-40s  ✓ %s (%v)\n", i+1, s.title, s.proof, time.Since(began).Round(time.Millisecond))
	}
	if o.Verbose {
		fmt.Fprintf(out, "\n--- fabrikam.com sink dialogue ---\n%s", w.sink.Dialogue())
	}
	return nil
}
