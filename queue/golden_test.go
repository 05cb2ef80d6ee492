package queue_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/queue"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestDSNGolden compares the DSNs the queue generates with golden files
// (the DSN's own random ID is normalised) and parses them back with a MIME
// parser.
func TestDSNGolden(t *testing.T) {
	cases := []struct {
		name    string
		env     queue.Envelope
		replies map[string]queue.Result
		retry   func(*queue.RetryPolicy) // edits DefaultRetryPolicy; nil keeps it
		advance []time.Duration          // clock steps, each followed by one attempt
	}{
		{
			name:    "ndr-5.1.1",
			env:     queue.Envelope{From: "alice@contoso.com", EnvID: "ENV-1", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com", ORCPT: "rfc822;bob@fabrikam.com"}}},
			replies: map[string]queue.Result{"fabrikam.com": perm550},
		},
		{
			name:    "expired-ret-full",
			env:     queue.Envelope{From: "alice@contoso.com", Ret: dsn.RetFull, Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}},
			replies: map[string]queue.Result{"fabrikam.com": tmp451},
			retry: func(p *queue.RetryPolicy) {
				p.MessageExpirationTimeout, p.MessageRetryInterval, p.DelayNotificationTimeout = time.Hour, time.Hour, 0
			},
			advance: []time.Duration{time.Hour},
		},
		{
			name:    "delay",
			env:     queue.Envelope{From: "alice@contoso.com", Recipients: []queue.Recipient{{Address: "bob@fabrikam.com"}}},
			replies: map[string]queue.Result{"fabrikam.com": tmp451},
			retry:   func(p *queue.RetryPolicy) { p.MessageRetryInterval = 4 * time.Hour },
			advance: []time.Duration{4 * time.Hour},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newScripted(byDomain(tc.replies))
			retry := queue.DefaultRetryPolicy()
			if tc.retry != nil {
				tc.retry(&retry)
			}
			h := newHarness(t, queue.WithRouter(hopByDomain()), queue.WithDeliverer(d), queue.WithRetryPolicy(retry))
			id, err := h.q.Enqueue(context.Background(), tc.env, strings.NewReader(testBody))
			if err != nil {
				t.Fatal(err)
			}
			d.nextFor(t, id)
			for _, step := range tc.advance {
				h.wait(t, queue.EventDefer, id)
				h.clock.Advance(step)
			}
			_, call := h.dsnFor(t, d, id)
			got := strings.ReplaceAll(call.body, string(call.msg.ID), "DSNID")
			golden := filepath.Join("testdata", tc.name+".eml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("DSN differs from %s (run go test -update after checking):\n%s", golden, got)
			}
			checkMIME(t, call.body)
		})
	}
}

// checkMIME parses a DSN with go-message: a multipart/report whose second
// part is message/delivery-status.
func checkMIME(t *testing.T, body string) {
	t.Helper()
	mr, err := mail.CreateReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("MIME: %v", err)
	}
	if mt, params, _ := mr.Header.ContentType(); mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Errorf("Content-Type %s %v", mt, params)
	}
	if v := mr.Header.Get("Auto-Submitted"); v != "auto-replied" {
		t.Errorf("Auto-Submitted %q", v)
	}
	var types []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		var mt string
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			mt, _, _ = h.ContentType()
		case *mail.AttachmentHeader:
			mt, _, _ = h.ContentType()
		}
		types = append(types, mt)
	}
	if len(types) < 2 || types[1] != "message/delivery-status" {
		t.Errorf("parts %v", types)
	}
}
