package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"Status", "status", 0},
		{"Statu", "Status", 1},
		{"Sttaus", "Status", 2},
		{"kitten", "sitting", 3},
		{"Get-Queu", "Get-Queue", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	params := []string{"Identity", "Status", "NextHopDomain", "Filter"}
	tests := []struct{ name, want string }{
		{"Statu", "Status"},
		{"STATUS", "Status"},
		{"NextHopDomian", "NextHopDomain"},
		{"Identiy", "Identity"},
		{"Sender", ""}, // nothing like it
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.name, params); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Closest("Status", nil); got != "" {
		t.Errorf("Closest without candidates = %q", got)
	}
}
