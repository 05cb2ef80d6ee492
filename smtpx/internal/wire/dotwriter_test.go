package wire_test

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// dotStuff runs in through a DotWriter, cut into writes of size step.
func dotStuff(t testing.TB, in []byte, step int) []byte { return writeDot(t, in, step, false) }

// chunked runs in through a DotWriter reset for BDAT content.
func chunked(t testing.TB, in []byte, step int) []byte { return writeDot(t, in, step, true) }

func writeDot(t testing.TB, in []byte, step int, chunk bool) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 16)
	var d wire.DotWriter
	if chunk {
		d.ResetChunk(bw)
	} else {
		d.Reset(bw)
	}
	for rest := in; len(rest) > 0; {
		n := min(step, len(rest))
		if m, err := d.Write(rest[:n]); err != nil || m != n {
			t.Fatalf("Write = %d, %v", m, err)
		}
		rest = rest[n:]
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// reference is net/textproto's DotWriter, which go-smtp's client uses.
func reference(t testing.TB, in []byte) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	w := textproto.NewWriter(bw).DotWriter()
	if _, err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestDotWriter(t *testing.T) {
	for _, tc := range []struct{ in, want, chunk string }{
		{"", "\r\n.\r\n", "\r\n"},
		{"a\r\n", "a\r\n.\r\n", "a\r\n"},
		{"a", "a\r\n.\r\n", "a\r\n"},
		{".\r\n..x\r\nb.\r\n", "..\r\n...x\r\nb.\r\n.\r\n", ".\r\n..x\r\nb.\r\n"},
		{"a\nb\n.c", "a\r\nb\r\n..c\r\n.\r\n", "a\r\nb\r\n.c\r\n"},
		{"a\r", "a\r\n.\r\n", "a\r\n"},
		{"\r\n\r\n", "\r\n\r\n.\r\n", "\r\n\r\n"},
	} {
		for _, step := range []int{1, 2, 3, 1 << 20} {
			if got := dotStuff(t, []byte(tc.in), step); string(got) != tc.want {
				t.Errorf("%q step %d: got %q, want %q", tc.in, step, got, tc.want)
			}
			if got := chunked(t, []byte(tc.in), step); string(got) != tc.chunk {
				t.Errorf("%q step %d as a chunk: got %q, want %q", tc.in, step, got, tc.chunk)
			}
		}
	}
}

// FuzzDotWriter checks DotWriter against net/textproto's DotWriter for any
// input whose CRs all end lines (the two differ only on a lone CR, which
// net/textproto turns into CR CR LF when an LF follows later), at any
// write boundaries, and that reading the result back gives the input.
func FuzzDotWriter(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\n.hidden\r\n..\r\n.\r\nend"), 3)
	f.Add([]byte("a\nb\n"), 1)
	f.Add([]byte(""), 7)
	f.Add([]byte("\r"), 1)
	f.Fuzz(func(t *testing.T, in []byte, step int) {
		if step <= 0 || step > 1<<16 {
			step = 1 + len(in)
		}
		clean := bytes.ReplaceAll(bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n")), []byte("\r"), nil)
		got := dotStuff(t, clean, step)
		if want := reference(t, clean); !bytes.Equal(got, want) {
			t.Fatalf("input %q: got %q, want %q", clean, got, want)
		}
		back, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(got))).ReadDotBytes()
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if want := withLastLF(clean); !bytes.Equal(back, want) {
			t.Fatalf("round trip of %q gave %q", clean, back)
		}
		// The server's reader of the same package takes back the lines
		// as they were sent, CR LF and all.
		ours, err := io.ReadAll(wire.NewDotReader(bufio.NewReader(bytes.NewReader(got)), len(got)+2))
		if want := bytes.ReplaceAll(withLastLF(clean), []byte("\n"), []byte("\r\n")); err != nil || !bytes.Equal(ours, want) {
			t.Fatalf("DotReader of %q gave %q, %v; want %q", got, ours, err, want)
		}
		// BDAT carries the same octets as DATA once those are unstuffed,
		// whatever the input's line ends.
		if chunk := chunked(t, in, step); !bytes.Equal(dotStuff(t, chunk, step), dotStuff(t, in, step)) {
			t.Fatalf("as a chunk %q gave %q, which is not DATA's octets", in, chunk)
		}
	})
}

// withLastLF is the text as ReadDotBytes returns it: every line ends in
// LF, an unterminated last line included (and an empty body is one empty
// line).
func withLastLF(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b
	}
	return append(bytes.Clone(b), '\n')
}
