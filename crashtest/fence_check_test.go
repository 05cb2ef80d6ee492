package crashtest

import (
	"testing"
	"time"
)

// TestFenceCheck checks the pool crash test's own judge: a copy by a
// second process is a fault unless the first lost its lease in between.
func TestFenceCheck(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const a, b = "hub1-e1.pool.contoso.com", "hub2-e1.pool.contoso.com"
	tests := []struct {
		name     string
		a        hubProc // b runs throughout
		copies   []delivery
		problems int
		crossHub int
	}{
		{"one copy", hubProc{}, []delivery{{a, at(0)}}, 0, 0},
		{"same process twice", hubProc{}, []delivery{{a, at(0)}, {a, at(5)}}, 0, 0},
		{"second hub, first still holds its lease", hubProc{}, []delivery{{a, at(0)}, {b, at(5)}}, 1, 1},
		{"second hub after the first was killed", hubProc{stopping: at(2), ended: at(3)},
			[]delivery{{a, at(0)}, {b, at(5)}}, 0, 1},
		{"second hub while the first was being stopped", hubProc{stopping: at(4), ended: at(9)},
			[]delivery{{a, at(0)}, {b, at(5)}}, 0, 1},
		{"first killed only after the second delivered", hubProc{stopping: at(8), ended: at(9)},
			[]delivery{{a, at(0)}, {b, at(5)}}, 1, 1},
		{"first copy reaches the sink after its sender was killed", hubProc{stopping: at(1), ended: at(2)},
			[]delivery{{a, at(3)}, {b, at(5)}}, 0, 1},
		{"back and forth, the second never lost its lease", hubProc{stopping: at(1), ended: at(2)},
			[]delivery{{b, at(0)}, {a, at(3)}, {b, at(5)}}, 1, 2},
		{"second hub after the first's lease lapsed", hubProc{lapses: []time.Time{at(7)}},
			[]delivery{{a, at(0)}, {b, at(5)}}, 0, 1},
		{"lapse before the first copy does not count", hubProc{lapses: []time.Time{at(-1)}},
			[]delivery{{a, at(0)}, {b, at(5)}}, 1, 1},
		{"unknown process", hubProc{}, []delivery{{"stranger", at(0)}, {b, at(5)}}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFenceLog()
			pa := tt.a
			pa.name = a
			f.procs[a], f.procs[b] = &pa, &hubProc{name: b}
			f.deliveries["<m@x>"] = tt.copies
			r := f.check()
			if len(r.problems) != tt.problems || r.crossHub != tt.crossHub {
				t.Errorf("problems %d (%q), cross-hub %d; want %d, %d", len(r.problems), r.problems, r.crossHub, tt.problems, tt.crossHub)
			}
		})
	}
}

func TestLapses(t *testing.T) {
	out := "poolhub hub1 epoch 3: listening on 127.0.0.1:1\n" +
		`time=2026-12-06T22:40:01.250Z level=WARN msg="pgstore: lease had lapsed; registered again, messages other hubs adopted meanwhile are theirs" hub=hub1 epoch=4 lost=0` + "\n" +
		`time=2026-12-06T22:40:02.000Z level=WARN msg="pgstore: heartbeat failed" hub=hub1 err=x` + "\n"
	got := lapses(out)
	want := time.Date(2026, 12, 6, 22, 40, 1, 250e6, time.UTC)
	if len(got) != 1 || !got[0].Equal(want) {
		t.Fatalf("lapses = %v, want [%v]", got, want)
	}
}
