package smtpx

import "testing"

// Levels rise as soon as a threshold is reached and fall only below the
// next lower one.
func TestPressureHysteresis(t *testing.T) {
	l := levels{high: 90, medium: 88, normal: 86}
	steps := []struct {
		used float64
		want Pressure
	}{
		{50, PressureNormal},
		{87, PressureNormal}, // below medium: still Normal on the way up
		{88, PressureMedium},
		{89.9, PressureMedium},
		{90, PressureHigh},
		{88.5, PressureHigh}, // above medium: stays High
		{87.9, PressureMedium},
		{86.5, PressureMedium}, // above normal: stays Medium
		{85.9, PressureNormal},
		{99, PressureHigh}, // straight from Normal to High
		{10, PressureNormal},
	}
	cur := PressureNormal
	for i, s := range steps {
		cur = l.next(cur, s.used)
		if cur != s.want {
			t.Fatalf("step %d: %.1f%% used gives %s, want %s", i, s.used, cur, s.want)
		}
	}
}

// The defaults are the reference system's: High where 500 MiB are left
// free, Medium and Normal 2 and 4 points below; memory 75/73/71 %.
func TestPressureDefaults(t *testing.T) {
	var bp BackPressure
	size := uint64(10000 << 20)
	d := bp.diskLevels(size)
	if want := 95.0; d.high != want || d.medium != want-2 || d.normal != want-4 {
		t.Errorf("disk levels of a 10000 MiB disk: %+v", d)
	}
	if m := bp.memoryLevels(); m != (levels{75, 73, 71}) {
		t.Errorf("memory levels %+v", m)
	}
	if d := bp.diskLevels(100 << 20); d.high != 0 {
		t.Errorf("a disk smaller than the reserve is always High: %+v", d)
	}
	custom := BackPressure{DiskHigh: 80, MemoryHigh: 50, MemoryNormal: 40}
	if d := custom.diskLevels(size); d != (levels{80, 78, 76}) {
		t.Errorf("custom disk levels %+v", d)
	}
	if m := custom.memoryLevels(); m != (levels{50, 48, 40}) {
		t.Errorf("custom memory levels %+v", m)
	}
}

// The system probe reads something on this platform.
func TestSystemResources(t *testing.T) {
	r, err := SystemResources(t.TempDir())(t.Context())
	if err != nil {
		t.Skipf("no system probe here: %v", err)
	}
	if r.DiskSize == 0 || r.DiskFree > r.DiskSize || r.MemoryLimit == 0 || r.Memory == 0 || r.Memory > r.MemoryLimit {
		t.Errorf("implausible reading %+v", r)
	}
}
