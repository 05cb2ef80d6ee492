package tracking

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// lifeLog writes two messages' lives over two UTC days and returns its
// directory.
func lifeLog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	c := &clock{t0}
	l, err := Open(dir, WithClock(c.Now), WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a := Record{InternalMessageID: "A1", MessageID: "<a@fabrikam.com>", Sender: "alice@fabrikam.com",
		ReturnPath: "alice@fabrikam.com", Recipients: []string{"bob@contoso.com", "carol@contoso.com"},
		MessageSubject: "Quarterly Report"}
	b := Record{InternalMessageID: "B2", MessageID: "<b@contoso.com>", Sender: "dave@contoso.com",
		ReturnPath: "dave@contoso.com", Recipients: []string{"erin@fabrikam.com"}, MessageSubject: "lunch"}
	for _, step := range []struct {
		after time.Duration
		base  Record
		ev    EventID
		src   Source
	}{
		{0, a, Receive, SourceSMTP},
		{time.Minute, b, Receive, SourceSMTP},
		{time.Minute, a, Deliver, SourceStoreDriver},
		{time.Minute, b, Defer, SourceSMTP},
		{24 * time.Hour, b, Fail, SourceSMTP},
		{time.Second, Record{InternalMessageID: "C3", MessageID: "<dsn@hub01>", Reference: "<b@contoso.com>",
			ReturnPath: "<>", Recipients: []string{"dave@contoso.com"}}, DSN, SourceDSN},
	} {
		c.now = c.now.Add(step.after)
		r := step.base
		r.EventID, r.Source = step.ev, step.src
		l.Track(r)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSearch(t *testing.T) {
	dir := lifeLog(t)
	day2 := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    Query
		want []string // InternalMessageID/EventID of the results, in order
	}{
		{"everything", Query{}, []string{"A1/RECEIVE", "B2/RECEIVE", "A1/DELIVER", "B2/DEFER", "B2/FAIL", "C3/DSN"}},
		{"by message id with brackets", Query{MessageID: "<b@contoso.com>"}, []string{"B2/RECEIVE", "B2/DEFER", "B2/FAIL"}},
		{"by message id without", Query{MessageID: "a@fabrikam.com"}, []string{"A1/RECEIVE", "A1/DELIVER"}},
		{"by internal id", Query{InternalMessageID: "a1"}, []string{"A1/RECEIVE", "A1/DELIVER"}},
		{"by event id", Query{EventID: "fail"}, []string{"B2/FAIL"}},
		{"by source", Query{Source: SourceStoreDriver}, []string{"A1/DELIVER"}},
		{"by sender, any case", Query{Sender: "Alice@Fabrikam.com"}, []string{"A1/RECEIVE", "A1/DELIVER"}},
		{"by null return path", Query{Sender: "<>"}, []string{"C3/DSN"}},
		{"by any recipient", Query{Recipients: []string{"nobody@x", "carol@contoso.com"}}, []string{"A1/RECEIVE", "A1/DELIVER"}},
		{"recipient and event", Query{Recipients: []string{"erin@fabrikam.com"}, EventID: Fail}, []string{"B2/FAIL"}},
		{"by reference", Query{Reference: "b@contoso.com"}, []string{"C3/DSN"}},
		{"subject part", Query{MessageSubject: "report"}, []string{"A1/RECEIVE", "A1/DELIVER"}},
		{"start: second day only", Query{Start: day2}, []string{"B2/FAIL", "C3/DSN"}},
		{"end: before the second day", Query{End: day2}, []string{"A1/RECEIVE", "B2/RECEIVE", "A1/DELIVER", "B2/DEFER"}},
		{"start inclusive, end exclusive", Query{Start: t0.Add(time.Minute), End: t0.Add(3 * time.Minute)},
			[]string{"B2/RECEIVE", "A1/DELIVER"}},
		{"result size", Query{ResultSize: 2}, []string{"A1/RECEIVE", "B2/RECEIVE"}},
		{"unlimited", Query{ResultSize: Unlimited, EventID: DSN}, []string{"C3/DSN"}},
		{"nothing", Query{MessageID: "<none@x>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := Search(t.Context(), dir, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.InternalMessageID+"/"+string(r.EventID))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestSearchDefaultResultSize(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t0}
	l, err := Open(dir, WithClock(c.Now), WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for range DefaultResultSize + 5 {
		l.Track(Record{EventID: Receive})
	}
	recs, err := l.Search(t.Context(), Query{})
	if err != nil || len(recs) != DefaultResultSize {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if recs, _ = l.Search(t.Context(), Query{ResultSize: Unlimited}); len(recs) != DefaultResultSize+5 {
		t.Fatalf("unlimited: %d records", len(recs))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Search(t.Context(), Query{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Search after Close: %v", err)
	}
}

func TestSearchCancelled(t *testing.T) {
	dir := lifeLog(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Search(ctx, dir, Query{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestSearchNoLogDirectory(t *testing.T) {
	if _, err := New(nil).Search(t.Context(), Query{}); !errors.Is(err, ErrNoDirectory) {
		t.Fatalf("err = %v", err)
	}
	recs, err := Search(t.Context(), t.TempDir()+"/missing", Query{})
	if err != nil || len(recs) != 0 {
		t.Fatalf("missing directory: %v %v", recs, err)
	}
}
