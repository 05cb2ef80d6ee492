package logfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"MSGTRK20260102-10.log", "MSGTRK20260102-2.log", "MSGTRK20260101-1.log",
		"MSGTRKM20260101-1.log", "MSGTRK20260101-0.log", "MSGTRK20260101-01.log", "MSGTRK2026010-1.log",
		"MSGTRK20261301-1.log", "MSGTRK20260101-1.txt", "RECV20260101-1.log"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "MSGTRK20260103-1.log"), 0o750); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		day  time.Time
		n    int
	}{
		{"MSGTRK20260101-1.log", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{"MSGTRK20260102-2.log", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), 2},
		{"MSGTRK20260102-10.log", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), 10},
	}
	got := List(dir, "MSGTRK")
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].Path != filepath.Join(dir, w.name) || !got[i].Day.Equal(w.day) || got[i].N != w.n {
			t.Errorf("%d: got %+v, want %+v", i, got[i], w)
		}
	}
}
