package protolog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

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
	return out
}

func readAll(t *testing.T, dir string) []Record {
	t.Helper()
	var all []Record
	for _, n := range names(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("#Software: ")) {
			t.Errorf("%s has no header", n)
		}
		recs, err := Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		all = append(all, recs...)
	}
	return all
}

func TestRotationBySizeAndDay(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)}
	l, err := Open(dir, WithType(Send), WithClock(c.now), WithMaxFileSize(600), WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s := l.Session("Outbound", "S1", "127.0.0.1:1", "127.0.0.1:25")
	for i := range 6 {
		s.Sent(fmt.Sprintf("RCPT TO:<user%d@example.com>", i), "")
	}
	c.add(2 * time.Hour) // next UTC day
	s.Sent("QUIT", "")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"SEND20260301-1.log", "SEND20260301-2.log", "SEND20260302-1.log"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, n := range want[:2] {
		if fi, _ := os.Stat(filepath.Join(dir, n)); fi.Size() > 600 {
			t.Errorf("%s is %d bytes, over the maximum", n, fi.Size())
		}
	}
	recs := readAll(t, dir)
	if len(recs) != 7 || recs[6].Data != "QUIT" || recs[6].Sequence != 6 {
		t.Fatalf("records %+v", recs)
	}

	// A new Log on the same day continues the numbering.
	c.add(time.Minute)
	l2, _ := Open(dir, WithType(Send), WithClock(c.now))
	l2.Session("Outbound", "S2", "", "").Connect("")
	l2.Close()
	if got := names(t, dir); got[len(got)-1] != "SEND20260302-2.log" {
		t.Fatalf("files %v", got)
	}
}

func TestCleanup(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	mk := func(name string, age time.Duration, size int) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	mk("RECV20260101-1.log", 40*24*time.Hour, 10) // too old
	mk("RECV20260305-1.log", 5*24*time.Hour, 600) // oldest within age: over size
	mk("RECV20260306-1.log", 4*24*time.Hour, 300)
	mk("RECV20260309-1.log", 24*time.Hour, 300)
	mk("SEND20260101-1.log", 40*24*time.Hour, 10) // another log's file
	mk("notes.txt", 40*24*time.Hour, 10)
	l, err := Open(dir, WithClock(func() time.Time { return now }), WithMaxAge(30*24*time.Hour), WithMaxDirectorySize(700))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := []string{"RECV20260306-1.log", "RECV20260309-1.log", "SEND20260101-1.log", "notes.txt"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
}

func TestConcurrentSessions(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, WithFlushInterval(time.Millisecond))
	var wg sync.WaitGroup
	for i := range 8 {
		s := l.Session("C", fmt.Sprint(i), "a", "b")
		wg.Go(func() {
			for range 200 {
				s.Client([]byte("NOOP\r\n"))
				s.Server([]byte("250 ok\r\n"))
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := Parse(&buf)
	if err != nil || len(recs) != 8*400 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	next := map[string]int{}
	for _, r := range recs {
		if r.Sequence != next[r.SessionID] {
			t.Fatalf("session %s: sequence %d, want %d", r.SessionID, r.Sequence, next[r.SessionID])
		}
		next[r.SessionID]++
	}
}

func TestFlushIntervalAndClose(t *testing.T) {
	wrote := make(chan struct{}, 1)
	w := writerFunc(func(p []byte) (int, error) {
		select {
		case wrote <- struct{}{}:
		default:
		}
		return len(p), nil
	})
	l := New(w, WithFlushInterval(5*time.Millisecond))
	l.Session("C", "S", "a", "b").Connect("")
	select { // nothing but the interval flushes the record: no Flush, no Close yet
	case <-wrote:
	case <-time.After(30 * time.Second):
		t.Fatal("record not flushed by the interval")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.Close() != ErrClosed || l.Flush() != ErrClosed {
		t.Fatal("second Close/Flush not ErrClosed")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestWriteErrorReported(t *testing.T) {
	l := New(writerFunc(func([]byte) (int, error) { return 0, os.ErrPermission }), WithFlushInterval(0))
	l.Session("C", "S", "a", "b").Connect("")
	if err := l.Close(); err != os.ErrPermission {
		t.Fatalf("Close = %v", err)
	}
}

func TestOpenSet(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	recv, send, err := OpenSet(dir, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	recv.Session("S\\R", "1", "", "").Connect("")
	send.Session("Out", "2", "", "").Connect("")
	recv.Close()
	send.Close()
	for sub, want := range map[string]string{"SmtpReceive": "RECV20260301-1.log", "SmtpSend": "SEND20260301-1.log"} {
		if got := names(t, filepath.Join(dir, sub)); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: %v", sub, got)
		}
	}
	if recv.Type() != Receive || send.Type() != Send {
		t.Error("types")
	}
}
