package tracking

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clock is a settable time source for one test goroutine.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func TestStreamHeaderOnce(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t0}
	l := New(&buf, WithClock(c.Now), WithFlushInterval(0), WithSubjectLogging(false))
	l.Track(Record{EventID: Receive, MessageSubject: "secret plans"})
	l.Track(Record{EventID: Send})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := "#Software: hubedge\r\n#Version: 14.0.0.0\r\n#Log-type: Message Tracking Log\r\n" +
		"#Date: 2026-01-02T03:04:05.678Z\r\n#Fields: " + Fields + "\r\n" +
		"2026-01-02T03:04:05.678Z,,,,,,,,RECEIVE,,,,,0,0,,,,,,,,,,,\r\n" +
		"2026-01-02T03:04:05.678Z,,,,,,,,SEND,,,,,0,0,,,,,,,,,,,\r\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
}

func TestNilLog(t *testing.T) {
	var l *Log
	l.Track(Record{EventID: Receive})
	if l.Flush() != nil || l.Close() != nil {
		t.Fatal("nil Log returned an error")
	}
	if _, err := l.Search(t.Context(), Query{}); !errors.Is(err, ErrNoDirectory) {
		t.Fatalf("Search: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestWriteErrorReported(t *testing.T) {
	l := New(failWriter{}, WithFlushInterval(0))
	l.Track(Record{EventID: Receive})
	if err := l.Flush(); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Flush: %v", err)
	}
	if err := l.Close(); err == nil {
		t.Fatal("Close: no error")
	}
}

func TestRotation(t *testing.T) {
	line := len(appendRecord(nil, &Record{Time: t0, EventID: Receive}, true))
	header := len(New(nil).header(t0))
	tests := []struct {
		name    string
		maxFile int64
		steps   []time.Duration // clock advance before each record
		want    []string
	}{
		{"one file", 0, []time.Duration{0, 0, 0}, []string{"MSGTRK20260102-1.log"}},
		{"by size: two records a file", int64(header + 2*line), []time.Duration{0, 0, 0, 0, 0},
			[]string{"MSGTRK20260102-1.log", "MSGTRK20260102-2.log", "MSGTRK20260102-3.log"}},
		{"a record bigger than the limit still gets a file", 10, []time.Duration{0, 0},
			[]string{"MSGTRK20260102-1.log", "MSGTRK20260102-2.log"}},
		{"by UTC day, n from 1", 0, []time.Duration{0, 21 * time.Hour, time.Hour},
			[]string{"MSGTRK20260102-1.log", "MSGTRK20260103-1.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := &clock{t0}
			l, err := Open(dir, WithClock(c.Now), WithMaxFileSize(tt.maxFile), WithFlushInterval(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tt.steps {
				c.now = c.now.Add(d)
				l.Track(Record{EventID: Receive})
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := names(t, dir); !slices.Equal(got, tt.want) {
				t.Fatalf("files %v, want %v", got, tt.want)
			}
			total := 0
			for _, n := range tt.want {
				b, _ := os.ReadFile(filepath.Join(dir, n))
				if !strings.HasPrefix(string(b), "#Software: hubedge\r\n") || strings.Count(string(b), "#Fields: ") != 1 {
					t.Errorf("%s has no header of its own:\n%s", n, b)
				}
				if tt.maxFile > int64(header+line) && int64(len(b)) > tt.maxFile {
					t.Errorf("%s is %d bytes, limit %d", n, len(b), tt.maxFile)
				}
				recs, err := Parse(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				total += len(recs)
			}
			if total != len(tt.steps) {
				t.Fatalf("%d records in the files, tracked %d", total, len(tt.steps))
			}
		})
	}
}

// A new file continues after the day's files already there (a restart).
func TestOpenContinuesNumbering(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "MSGTRK20260102-4.log"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	c := &clock{t0}
	l, err := Open(dir, WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	l.Track(Record{EventID: Receive})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"MSGTRK20260102-4.log", "MSGTRK20260102-5.log"}) {
		t.Fatalf("files %v", got)
	}
}

func TestCleanup(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string
	}{
		{"by age", []Option{WithMaxAge(48 * time.Hour)},
			[]string{"MSGTRK20251231-1.log", "MSGTRK20260101-1.log", "other.log"}},
		{"by directory size, oldest first", []Option{WithMaxAge(0), WithMaxDirectorySize(250)},
			[]string{"MSGTRK20260101-1.log", "other.log"}},
		{"no limits", []Option{WithMaxAge(0), WithMaxDirectorySize(0)},
			[]string{"MSGTRK20251201-1.log", "MSGTRK20251231-1.log", "MSGTRK20260101-1.log", "other.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, age := range map[string]time.Duration{"MSGTRK20251201-1.log": 32 * 24 * time.Hour,
				"MSGTRK20251231-1.log": 26 * time.Hour, "MSGTRK20260101-1.log": 2 * time.Hour, "other.log": 900 * time.Hour} {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 200), 0o640); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, t0.Add(-age), t0.Add(-age)); err != nil {
					t.Fatal(err)
				}
			}
			c := &clock{t0}
			l, err := Open(dir, append(tt.opts, WithClock(c.Now))...)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := names(t, dir); !slices.Equal(got, tt.want) {
				t.Fatalf("files %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConcurrentTrack(t *testing.T) {
	dir := t.TempDir()
	line := len(appendRecord(nil, &Record{Time: t0, EventID: Receive, InternalMessageID: "0"}, true))
	l, err := Open(dir, WithMaxFileSize(int64(50*line)), WithFlushInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 200
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				l.Track(Record{EventID: Receive, InternalMessageID: strconv.Itoa(w*each + i)})
			}
		}()
	}
	for range writers {
		<-done
	}
	recs, err := l.Search(t.Context(), Query{ResultSize: Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.InternalMessageID] = true
	}
	if len(recs) != writers*each || len(seen) != writers*each {
		t.Fatalf("%d records, %d distinct; want %d", len(recs), len(seen), writers*each)
	}
}
