package cli

import (
	"bytes"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestRaiseLoneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tests := []struct {
		name      string
		env       string // GOMAXPROCS in the environment; "" = unset
		procs     int
		wantProcs int
	}{
		{"one P gets a second", "", 1, 2},
		{"two are left alone", "", 2, 2},
		{"many are left alone", "", 8, 8},
		{"the environment's one wins", "1", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", tt.env) // restored after the test
			if tt.env == "" {
				os.Unsetenv("GOMAXPROCS")
			}
			runtime.GOMAXPROCS(tt.procs)
			raised := raiseLoneP()
			if got := runtime.GOMAXPROCS(0); got != tt.wantProcs || raised != (tt.procs != tt.wantProcs) {
				t.Errorf("raiseLoneP() = %v, GOMAXPROCS %d; want GOMAXPROCS %d", raised, got, tt.wantProcs)
			}
		})
	}
}

func TestServerOptionsRaisesLonePForADiskQueue(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Setenv("GOMAXPROCS", "") // restored after the test
	os.Unsetenv("GOMAXPROCS")
	tests := []struct {
		name      string
		args      []string
		wantProcs int
	}{
		{"queue on disk", []string{"-queue", t.TempDir()}, 2},
		{"queue in memory", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(1)
			var logged bytes.Buffer
			if _, err := parse(t, tt.args...).ServerOptions(slog.New(slog.NewTextHandler(&logged, nil)), false); err != nil {
				t.Fatal(err)
			}
			if got := runtime.GOMAXPROCS(0); got != tt.wantProcs {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tt.wantProcs)
			}
			if said := strings.Contains(logged.String(), "GOMAXPROCS raised from 1 to 2"); said != (tt.wantProcs == 2) {
				t.Errorf("log %q: says it raised GOMAXPROCS = %v, want %v", logged.String(), said, tt.wantProcs == 2)
			}
		})
	}
}
