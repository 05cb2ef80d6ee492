package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSinkCount(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		ok       bool
	}{
		{"one record", "sess=1 quit=0 mesg=1\r", 1, true},
		{"last complete record wins", "sess=1 quit=0 mesg=1\rsess=1 quit=1 mesg=2\rsess=2 quit=1 mesg=", 2, true},
		{"leading partial", "=9 mesg=41\rsess=3 quit=3 mesg=42\r", 42, true},
		{"no complete record", "sess=1 quit=0 mesg=1", 0, false},
		{"empty", "", 0, false},
		{"record without mesg", "hello\r", 0, false},
		{"garbage last, good before", "sess=1 quit=0 mesg=7\rmesg=x\r", 7, true},
		{"newline terminated value", "sess=1 quit=0 mesg=5\n\r", 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSinkCount([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseSinkCount(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseSinkCount(f *testing.F) {
	f.Add([]byte("sess=1 quit=0 mesg=1\rsess=1 quit=1 mesg=2\r"))
	f.Add([]byte("mesg=\r\r\rmesg=-1\r"))
	f.Add([]byte("sess=0 quit=0 mesg=99999999999999999999\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok := parseSinkCount(b)
		if !ok {
			if n != 0 {
				t.Errorf("not ok but n = %d", n)
			}
			return
		}
		if n < 0 || !strings.Contains(string(b), "mesg=") || !strings.Contains(string(b), "\r") {
			t.Errorf("parseSinkCount(%q) = %d", b, n)
		}
	})
}

// followedSink is a sink whose counter file is written by the test.
func followedSink(t *testing.T) (s *sink, w *os.File, exit func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sink.out")
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	s = &sink{exited: exited, done: make(chan struct{})}
	go s.read(r, exited)
	t.Cleanup(func() { w.Close(); r.Close() })
	var once sync.Once
	exit = func() { once.Do(func() { close(exited) }) }
	t.Cleanup(func() { exit(); <-s.done })
	return s, w, exit
}

// Counter records written the way smtp-sink does, split at awkward places,
// reach WaitFor.
func TestSinkReadAndWaitFor(t *testing.T) {
	s, pw, exit := followedSink(t)

	ctx := context.Background()
	got := make(chan error, 1)
	go func() {
		_, err := s.WaitFor(ctx, 3, time.Minute)
		got <- err
	}()
	for _, chunk := range []string{"sess=1 quit=0 me", "sg=1\rsess=1 quit=0 mesg=2\r", "sess=1 quit=1 mesg=3", "\r"} {
		if _, err := pw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		t.Fatalf("WaitFor(3) = %v", err)
	}
	if c := s.Count(); c != 3 {
		t.Errorf("Count = %d, want 3", c)
	}
	// A target already reached returns at once.
	if _, err := s.WaitFor(ctx, 2, time.Minute); err != nil {
		t.Errorf("WaitFor(2) = %v", err)
	}

	// Records written just before the exit are still read; the sink
	// exiting short of the target is a stall, not a hang.
	pw.Write([]byte("sess=2 quit=2 mesg=4\r"))
	exit()
	if _, err := s.WaitFor(ctx, 10, time.Minute); !errors.Is(err, errStalled) {
		t.Errorf("WaitFor after exit = %v, want errStalled", err)
	}
	if c := s.Count(); c != 4 {
		t.Errorf("Count after exit = %d, want 4", c)
	}
}

func TestSinkWaitForStallAndCancel(t *testing.T) {
	s, _, _ := followedSink(t)

	start := time.Now()
	if _, err := s.WaitFor(context.Background(), 1, 300*time.Millisecond); !errors.Is(err, errStalled) {
		t.Errorf("WaitFor without progress = %v, want errStalled", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("stall detection took far longer than the stall timeout")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.WaitFor(ctx, 1, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor with cancelled context = %v", err)
	}
}
