package transport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/agent"
)

func TestHeaderBlock(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct{ name, in, want string }{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", "A: 1\r\nB: 2\r\n"},
		{"lf", "A: 1\n\nbody", "A: 1\n"},
		{"no body", "A: 1\r\n", "A: 1\r\n"},
		{"no final newline", "A: 1", "A: 1"},
		{"empty", "", ""},
		{"body only", "\r\nbody", ""},
		{"long line", "A: " + long + "\r\n\r\nbody", "A: " + long + "\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := headerBlock(strings.NewReader(c.in))
			if err != nil || string(got) != c.want {
				t.Errorf("headerBlock = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func FuzzHeaderBlock(f *testing.F) {
	f.Add([]byte("A: 1\r\nB: 2\r\n\r\nbody"))
	f.Add([]byte("A: 1\n \tfolded\n\nbody"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := headerBlock(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(in, got) {
			t.Fatalf("header block %q is not a prefix of the message", got)
		}
		agent.ParseHeader(got) // must not panic
	})
}
