package wire_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// readLines reads lines with ReadLine until it fails and returns them (as
// strings, since the slices alias the buffer) with the error that ended it.
func readLines(br *bufio.Reader, max int) ([]string, error) {
	var lines []string
	for {
		line, err := wire.ReadLine(br, max)
		if err != nil {
			if line != nil {
				return lines, errors.New("ReadLine returned a line with an error")
			}
			return lines, err
		}
		lines = append(lines, string(line))
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 510)
	tests := []struct {
		name  string
		in    string
		max   int
		size  int // bufio size; 0: 4096
		lines []string
		err   error
	}{
		{name: "crlf", in: "EHLO a\r\nQUIT\r\n", max: 512, lines: []string{"EHLO a", "QUIT"}, err: io.EOF},
		{name: "bare LF ends a command line", in: "NOOP\nQUIT\r\n", max: 512, lines: []string{"NOOP", "QUIT"}, err: io.EOF},
		{name: "only one CR is removed", in: "NOOP\r\r\n", max: 512, lines: []string{"NOOP\r"}, err: io.EOF},
		{name: "bare CR is not a line end", in: "NOOP\rQUIT\r\n", max: 512, lines: []string{"NOOP\rQUIT"}, err: io.EOF},
		{name: "empty line", in: "\r\n\n", max: 512, lines: []string{"", ""}, err: io.EOF},
		{name: "empty input", in: "", max: 512, err: io.EOF},
		{name: "missing final line end", in: "NOOP\r\nQUIT", max: 512, lines: []string{"NOOP"}, err: io.EOF},
		{name: "missing final LF", in: "QUIT\r", max: 512, err: io.EOF},
		{name: "exactly max with CRLF", in: long + "\r\n", max: 512, lines: []string{long}, err: io.EOF},
		{name: "exactly max with LF", in: long + "x\n", max: 512, lines: []string{long + "x"}, err: io.EOF},
		{name: "one over max", in: long + "x\r\n", max: 512, err: wire.ErrLineTooLong},
		{name: "over max, the LF is the extra octet", in: long + "xy\n", max: 512, err: wire.ErrLineTooLong},
		{name: "over max after a good line", in: "NOOP\r\n" + long + "xx\r\n", max: 512, lines: []string{"NOOP"}, err: wire.ErrLineTooLong},
		{name: "over max at EOF without line end", in: long + "xyz", max: 512, err: wire.ErrLineTooLong},
		{name: "longer than the buffer", in: strings.Repeat("y", 40) + "\r\n", max: 512, size: 16, err: wire.ErrLineTooLong},
		{name: "max larger than buffer, line fits buffer", in: "0123456789abcd\r\n", max: 512, size: 16, lines: []string{"0123456789abcd"}, err: io.EOF},
		{name: "8-bit octets are kept", in: "MAIL FROM:<jörg@example.org>\r\n", max: 512, lines: []string{"MAIL FROM:<jörg@example.org>"}, err: io.EOF},
		{name: "NUL is kept", in: "NO\x00OP\r\n", max: 512, lines: []string{"NO\x00OP"}, err: io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = 4096
			}
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.in)},
				{"one byte", iotest.OneByteReader(strings.NewReader(tt.in))},
				{"data+EOF", iotest.DataErrReader(strings.NewReader(tt.in))},
			} {
				lines, err := readLines(bufio.NewReaderSize(r.r, size), tt.max)
				if !equalStrings(lines, tt.lines) {
					t.Errorf("%s: lines = %q, want %q", r.name, lines, tt.lines)
				}
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: err = %v, want %v", r.name, err, tt.err)
				}
			}
		})
	}
}

// TestReadLineAliases documents that the returned slice is br's buffer:
// the next read may overwrite it.
func TestReadLineAliases(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader("AAAA\r\nBBBB\r\n"), 16)
	a, err := wire.ReadLine(br, 512)
	if err != nil || string(a) != "AAAA" {
		t.Fatalf("ReadLine = %q, %v", a, err)
	}
	if br.Buffered() != len("BBBB\r\n") {
		t.Errorf("Buffered() = %d after one line, want the next line left in the buffer", br.Buffered())
	}
	sr := strings.NewReader("")
	allocs := testing.AllocsPerRun(100, func() {
		sr.Reset("NOOP\r\n")
		br.Reset(sr)
		if _, err := wire.ReadLine(br, 512); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadLine allocates %v times per line, want 0", allocs)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
