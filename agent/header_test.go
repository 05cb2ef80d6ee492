package agent

import (
	"bytes"
	"testing"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Field
	}{
		{"empty", "", nil},
		{"plain", "From: a@b\r\nSubject: hi\r\n", []Field{{Name: "From", Value: " a@b"}, {Name: "Subject", Value: " hi"}}},
		{"folded", "Subject: one\r\n two\r\n\tthree\r\nTo: x\r\n", []Field{{Name: "Subject", Value: " one\r\n two\r\n\tthree"}, {Name: "To", Value: " x"}}},
		{"no space, bare LF", "X-A:1\nX-B:  2\n", []Field{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "  2"}}},
		{"space before the colon", "Subject : hi\r\n", []Field{{Name: "Subject", Value: " hi"}}},
		{"colon in the value", "Date: Sun, 06 Dec 2026 21:00:00 +0000\r\n", []Field{{Name: "Date", Value: " Sun, 06 Dec 2026 21:00:00 +0000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseHeader([]byte(tt.in))
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("field %d: %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzParseHeader checks that a header block read into Fields and
// written back reads the same again, and that nothing panics.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"From: a@b\r\nSubject: one\r\n two\r\n", "X:1\n\n", " leading fold\r\nA: b\r\n", ":\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := ParseHeader(b)
		again := ParseHeader(AppendHeader(nil, fs))
		if len(again) != len(fs) {
			t.Fatalf("%q: %d fields, then %d", b, len(fs), len(again))
		}
		for i := range fs {
			if bytes.ContainsAny([]byte(fs[i].Name), "\r\n") {
				continue // a name the firewall would never keep
			}
			if again[i].Name != fs[i].Name {
				t.Fatalf("%q: field %d %q became %q", b, i, fs[i], again[i])
			}
		}
	})
}
