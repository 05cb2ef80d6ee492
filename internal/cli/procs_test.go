package cli

import (
	"runtime"
	"testing"
)

func TestSyncProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	tests := []struct {
		name      string
		env       string // GOMAXPROCS in the environment
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
			t.Setenv("GOMAXPROCS", tt.env)
			runtime.GOMAXPROCS(tt.procs)
			syncProcs()
			if got := runtime.GOMAXPROCS(0); got != tt.wantProcs {
				t.Errorf("GOMAXPROCS after syncProcs = %d, want %d", got, tt.wantProcs)
			}
		})
	}
}
