package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMeasureSyncCost(t *testing.T) {
	for _, tt := range []struct {
		name    string
		dir     func(t *testing.T) string
		wantErr bool
	}{
		{"disk", func(t *testing.T) string { return t.TempDir() }, false},
		{"missing dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent") }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			cost, err := measureSyncCost(dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("measureSyncCost: %v, want error %t", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			// Wall time includes the CPU of the writing thread, so it is
			// never zero; CPU may round to zero on a coarse clock.
			if cost.WallUs <= 0 || cost.CPUus < 0 {
				t.Errorf("cost %+v, want positive wall time", cost)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("probe left %d files in %s", len(left), dir)
			}
		})
	}
}
