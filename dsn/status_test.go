package dsn

import "testing"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in         string
		want       Status
		perm, temp bool
		wantErr    bool
	}{
		{in: "5.1.1", want: Status{5, 1, 1}, perm: true},
		{in: "4.4.7", want: Status{4, 4, 7}, temp: true},
		{in: "2.0.0", want: Status{2, 0, 0}},
		{in: "5.4.14", want: Status{5, 4, 14}, perm: true},
		{in: "5.7.999", want: Status{5, 7, 999}, perm: true},
		{in: "5.01.001", want: Status{5, 1, 1}, perm: true},
		{in: "3.0.0", wantErr: true},
		{in: "6.0.0", wantErr: true},
		{in: "0.0.0", wantErr: true},
		{in: "5.1", wantErr: true},
		{in: "5.1.1.1", wantErr: true},
		{in: "5.1000.1", wantErr: true},
		{in: "5..1", wantErr: true},
		{in: "5.1.x", wantErr: true},
		{in: "5.-1.1", wantErr: true},
		{in: "+5.1.1", wantErr: true},
		{in: " 5.1.1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseStatus(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseStatus(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want || got.Permanent() != tt.perm || got.Temporary() != tt.temp {
			t.Errorf("ParseStatus(%q) = %v, %v (perm %v temp %v)", tt.in, got, err, got.Permanent(), got.Temporary())
		}
		if back, err := ParseStatus(got.String()); err != nil || back != got {
			t.Errorf("round trip %v: %v, %v", got, back, err)
		}
	}
}

func TestStatusForReply(t *testing.T) {
	tests := map[int]Status{250: {2, 0, 0}, 451: {4, 0, 0}, 550: {5, 0, 0}, 354: {}, 199: {}, 600: {}}
	for code, want := range tests {
		if got := StatusForReply(code); got != want {
			t.Errorf("StatusForReply(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestStatusText(t *testing.T) {
	tests := map[Status]string{
		{5, 1, 1}:   "The recipient's mailbox does not exist (user unknown)",
		{4, 4, 7}:   "Message expired: the delivery time-limit passed",
		{5, 1, 99}:  "Other address status",
		{5, 9, 9}:   "Delivery problem",
		{5, 7, 900}: "Security or policy problem",
	}
	for st, want := range tests {
		if got := st.text(); got != want {
			t.Errorf("%v.text() = %q, want %q", st, got, want)
		}
	}
}

func TestActionValid(t *testing.T) {
	for _, a := range []Action{Failed, Delayed, Delivered, Relayed, Expanded} {
		if !a.Valid() {
			t.Errorf("%q invalid", a)
		}
	}
	for _, a := range []Action{"", "Failed", "bounced"} {
		if a.Valid() {
			t.Errorf("%q valid", a)
		}
	}
}

func TestMustParseStatusPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	MustParseStatus("9.9.9")
}
