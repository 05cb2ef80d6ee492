package wire_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// dotCase is a DATA stream and what DotReader must make of it. For a
// stream that fails, the message read before the error depends on how the
// stream falls into the bufio buffer: it is at least out and at most
// out+partial.
type dotCase struct {
	name    string
	in      string
	max     int // 0: 1000
	out     string
	partial string
	err     error  // io.EOF: the terminator was found
	rest    string // left unread in the bufio.Reader after the terminator
}

var dotCases = []dotCase{
	{name: "simple", in: "Hello\r\n.\r\n", out: "Hello\r\n", err: io.EOF},
	{name: "two lines", in: "Subject: x\r\n\r\nbody\r\n.\r\n", out: "Subject: x\r\n\r\nbody\r\n", err: io.EOF},
	{name: "empty message", in: ".\r\n", out: "", err: io.EOF},
	{name: "empty message, then a command", in: ".\r\nQUIT\r\n", out: "", err: io.EOF, rest: "QUIT\r\n"},
	{name: "one empty line", in: "\r\n.\r\n", out: "\r\n", err: io.EOF},
	{name: "empty lines", in: "a\r\n\r\n\r\n.\r\n", out: "a\r\n\r\n\r\n", err: io.EOF},
	{name: "pipelined commands stay unread", in: "a\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\n", out: "a\r\n", err: io.EOF, rest: "MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\n"},
	{name: "a second message stays unread", in: "a\r\n.\r\nb\r\n.\r\n", out: "a\r\n", err: io.EOF, rest: "b\r\n.\r\n"},

	// Dot-unstuffing.
	{name: "doubled dot", in: "..x\r\n.\r\n", out: ".x\r\n", err: io.EOF},
	{name: "dot line", in: "a\r\n..\r\n.\r\n", out: "a\r\n.\r\n", err: io.EOF},
	{name: "three dots", in: "...\r\n.\r\n", out: "..\r\n", err: io.EOF},
	{name: "single leading dot dropped", in: ".x\r\n.\r\n", out: "x\r\n", err: io.EOF},
	{name: "dot space", in: ". \r\n.\r\n", out: " \r\n", err: io.EOF},
	{name: "dot in the middle", in: "a.b\r\n.a\r\n.\r\n", out: "a.b\r\na\r\n", err: io.EOF},
	{name: "dot after bare LF is data", in: "a\n.b\r\n.\r\n", out: "a\n.b\r\n", err: io.EOF},
	{name: "dot after bare CR is data", in: "a\r.b\r\n.\r\n", out: "a\r.b\r\n", err: io.EOF},
	{name: "dot, bare LF", in: "a\r\n.\nb\r\n.\r\n", out: "a\r\n\nb\r\n", err: io.EOF},
	{name: "dot, CR CR LF", in: ".\r\r\n.\r\n", out: "\r\r\n", err: io.EOF},
	{name: "dot, CR x", in: ".\rx\r\n.\r\n", out: "\rx\r\n", err: io.EOF},

	// Only CR LF . CR LF ends the message (SMTP smuggling).
	{name: "LF.CRLF is data", in: "a\n.\r\nb\r\n.\r\n", out: "a\n.\r\nb\r\n", err: io.EOF},
	{name: "CRLF.LF is data", in: "a\r\n.\nb\r\n.\r\n", out: "a\r\n\nb\r\n", err: io.EOF},
	{name: "CR.CRLF is data", in: "a\r.\r\nb\r\n.\r\n", out: "a\r.\r\nb\r\n", err: io.EOF},
	{name: "LF.LF is data", in: "a\n.\nb\r\n.\r\n", out: "a\n.\nb\r\n", err: io.EOF},
	{name: "CR.CR is data", in: "a\r.\rb\r\n.\r\n", out: "a\r.\rb\r\n", err: io.EOF},
	{name: "smuggled second message", in: "x\r\n\n.\r\nMAIL FROM:<evil@x>\r\n\r\n.\r\n", out: "x\r\n\n.\r\nMAIL FROM:<evil@x>\r\n\r\n", err: io.EOF},
	{name: "smuggled, LF first", in: "x\n.\nMAIL FROM:<evil@x>\r\n.\r\n", out: "x\n.\nMAIL FROM:<evil@x>\r\n", err: io.EOF},
	{name: "CR CR LF ends a line", in: "a\r\r\n.\r\n", out: "a\r\r\n", err: io.EOF},
	{name: "LF CR LF ends a line", in: "a\n\r\n.\r\n", out: "a\n\r\n", err: io.EOF},
	{name: "dot CR CR LF is not the terminator", in: "a\r\n.\r\r\n.\r\n", out: "a\r\n\r\r\n", err: io.EOF},
	{name: "terminator with trailing space is a line", in: "a\r\n. \r\n.\r\n", out: "a\r\n \r\n", err: io.EOF},

	// Binary octets are data.
	{name: "NUL and 8-bit", in: "\x00\xff\xfe\r\n.\r\n", out: "\x00\xff\xfe\r\n", err: io.EOF},

	// The stream ends before the terminator.
	{name: "empty stream", in: "", err: io.ErrUnexpectedEOF},
	{name: "no terminator", in: "Hello\r\n", out: "Hello\r\n", err: io.ErrUnexpectedEOF},
	{name: "dot only", in: "Hello\r\n.", out: "Hello\r\n", err: io.ErrUnexpectedEOF},
	{name: "dot CR", in: "Hello\r\n.\r", out: "Hello\r\n", partial: "\r", err: io.ErrUnexpectedEOF},
	{name: "partial line", in: "Hello", partial: "Hello", err: io.ErrUnexpectedEOF},
	{name: "dot LF", in: "Hello\r\n.\n", out: "Hello\r\n\n", err: io.ErrUnexpectedEOF},
	{name: "LF . CR LF", in: "Hello\n.\r\n", out: "Hello\n.\r\n", err: io.ErrUnexpectedEOF},
	{name: "long partial line", in: "Hello\r\n" + strings.Repeat("x", 40), out: "Hello\r\n", partial: strings.Repeat("x", 40), err: io.ErrUnexpectedEOF},

	// The line length limit: octets since the last LF, line end included.
	{name: "line at the limit", max: 10, in: "12345678\r\n.\r\n", out: "12345678\r\n", err: io.EOF},
	{name: "line over the limit", max: 10, in: "a\r\n123456789\r\n.\r\n", out: "a\r\n", partial: "123456789\r", err: wire.ErrLineTooLong},
	{name: "the LF is over the limit", max: 10, in: "123456789\r\n.\r\n", partial: "123456789\r", err: wire.ErrLineTooLong},
	{name: "the dot counts", max: 10, in: "..2345678\r\n.\r\n", partial: ".2345678\r", err: wire.ErrLineTooLong},
	{name: "stuffed line at the limit", max: 10, in: "..234567\r\n.\r\n", out: ".234567\r\n", err: io.EOF},
	{name: "bare LF restarts the count", max: 10, in: "12345678\n12345678\r\n.\r\n", out: "12345678\n12345678\r\n", err: io.EOF},
	{name: "bare CR does not", max: 10, in: "1234\r5678\r\n.\r\n", partial: "1234\r5678\r", err: wire.ErrLineTooLong},
	{name: "long line without a line end", max: 10, in: strings.Repeat("y", 30), partial: strings.Repeat("y", 10), err: wire.ErrLineTooLong},
	{name: "long line at EOF", max: 10, in: "ok\r\n" + strings.Repeat("y", 11), out: "ok\r\n", partial: strings.Repeat("y", 10), err: wire.ErrLineTooLong},
	{name: "long lines at 1000", in: strings.Repeat("z", 998) + "\r\n.\r\n", out: strings.Repeat("z", 998) + "\r\n", err: io.EOF},
	{name: "long lines over 1000", in: strings.Repeat("z", 999) + "\r\n.\r\n", partial: strings.Repeat("z", 999) + "\r", err: wire.ErrLineTooLong},
	{name: "terminator at a small limit", max: 3, in: ".\r\n", out: "", err: io.EOF},
	{name: "terminator over a tiny limit", max: 2, in: ".\r\n", err: wire.ErrLineTooLong},

	// Lines longer than the 16-octet minimum bufio buffer.
	{name: "CR at the buffer boundary", in: "0123456789abcde\r\n.\r\n", out: "0123456789abcde\r\n", err: io.EOF},
	{name: "CR at the boundary, then dot", in: "0123456789abcde\r.\r\n.\r\n", out: "0123456789abcde\r.\r\n", err: io.EOF},
	{name: "dot at the boundary", in: "0123456789abcdef.x\r\n.\r\n", out: "0123456789abcdef.x\r\n", err: io.EOF},
	{name: "LF at the boundary", in: "0123456789abcdef\n.\r\n.\r\n", out: "0123456789abcdef\n.\r\n", err: io.EOF},
	{name: "stuffed line longer than the buffer", in: "." + strings.Repeat("x", 40) + "\r\n.\r\n", out: strings.Repeat("x", 40) + "\r\n", err: io.EOF},
	{name: "stuffed, CR at the boundary", in: ".xxxxxxxxxxxxxx\r\n.\r\n", out: "xxxxxxxxxxxxxx\r\n", err: io.EOF},
	{name: "stuffed, CR at the boundary, dot", in: ".xxxxxxxxxxxxxx\r.\r\n.\r\n", out: "xxxxxxxxxxxxxx\r.\r\n", err: io.EOF},
	{name: "terminator after a long line", in: strings.Repeat("w", 100) + "\r\n.\r\nQUIT\r\n", out: strings.Repeat("w", 100) + "\r\n", err: io.EOF, rest: "QUIT\r\n"},
}

// readers are the ways the tests feed a stream to the bufio.Reader.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data+EOF", iotest.DataErrReader},
}

// readAllSized reads r to its error with reads of the given sizes, in
// turn, checking the io.Reader contract as it goes.
func readAllSized(r io.Reader, sizes []int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for i, zero := 0, 0; ; i++ {
		p := buf[:sizes[i%len(sizes)]]
		n, err := r.Read(p)
		if n < 0 || n > len(p) {
			return out, fmt.Errorf("Read returned n = %d for %d octets", n, len(p))
		}
		out = append(out, p[:n]...)
		if err != nil {
			if n != 0 {
				return out, fmt.Errorf("Read returned n = %d with %v", n, err)
			}
			return out, err
		}
		if n == 0 {
			if zero++; zero > 100 {
				return out, errors.New("Read keeps returning 0, nil")
			}
		}
	}
}

func TestDotReader(t *testing.T) {
	for _, tc := range dotCases {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 1000
			}
			// The model agrees with the case.
			ref, consumed, rerr := refDot([]byte(tc.in), max)
			if !errors.Is(rerr, tc.err) || !bytes.HasPrefix(ref, []byte(tc.out)) || !bytes.HasPrefix([]byte(tc.out+tc.partial), ref) {
				t.Errorf("refDot = %q, %v; the case says %q(+%q), %v", ref, rerr, tc.out, tc.partial, tc.err)
			}
			if tc.err == io.EOF && tc.in[consumed:] != tc.rest {
				t.Errorf("refDot leaves %q, the case says %q", tc.in[consumed:], tc.rest)
			}
			for _, size := range []int{16, 17, 19, 64, 4096} {
				for _, rd := range readers {
					for _, sizes := range [][]int{{4096}, {1}, {3}, {7, 1, 2}} {
						br := bufio.NewReaderSize(rd.wrap(strings.NewReader(tc.in)), size)
						dr := wire.NewDotReader(br, max)
						got, err := readAllSized(dr, sizes)
						where := fmt.Sprintf("bufio %d, %s, reads of %v", size, rd.name, sizes)
						if !errors.Is(err, tc.err) {
							t.Fatalf("%s: err = %v, want %v (message %q)", where, err, tc.err, got)
						}
						if !bytes.HasPrefix(got, []byte(tc.out)) || !bytes.HasPrefix([]byte(tc.out+tc.partial), got) {
							t.Fatalf("%s: message = %q, want %q (+ up to %q)", where, got, tc.out, tc.partial)
						}
						if tc.err != io.EOF {
							continue
						}
						rest, _ := io.ReadAll(br)
						if string(rest) != tc.rest {
							t.Fatalf("%s: left %q unread, want %q", where, rest, tc.rest)
						}
					}
				}
			}
		})
	}
}

// TestDotReaderThenCommand reads a message and the commands after it from
// one bufio.Reader, as a server does.
func TestDotReaderThenCommand(t *testing.T) {
	// The commands fit the 16-octet buffer: ReadLine needs a buffer as
	// large as its limit.
	in := "Subject: hi\r\n\r\n..dotted\r\n.\r\nMAIL FROM:<a>\r\nRCPT TO:<c>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n"
	for _, size := range []int{16, 4096} {
		br := bufio.NewReaderSize(iotest.HalfReader(strings.NewReader(in)), size)
		dr := wire.NewDotReader(br, 1000)
		msg, err := io.ReadAll(dr)
		if err != nil || string(msg) != "Subject: hi\r\n\r\n.dotted\r\n" {
			t.Fatalf("first message = %q, %v", msg, err)
		}
		var lines []string
		for range 3 {
			line, err := wire.ReadLine(br, 512)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(line))
		}
		if want := []string{"MAIL FROM:<a>", "RCPT TO:<c>", "DATA"}; !equalStrings(lines, want) {
			t.Fatalf("commands after the message = %q, want %q", lines, want)
		}
		dr.Reset(br, 1000)
		msg, err = io.ReadAll(dr)
		if err != nil || string(msg) != "second\r\n" {
			t.Fatalf("second message = %q, %v", msg, err)
		}
		line, err := wire.ReadLine(br, 512)
		if err != nil || string(line) != "QUIT" {
			t.Fatalf("last command = %q, %v", line, err)
		}
	}
}

func TestDotReaderEOFIsSticky(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("a\r\n.\r\nNOOP\r\n"))
	dr := wire.NewDotReader(br, 1000)
	if _, err := io.ReadAll(dr); err != nil {
		t.Fatal(err)
	}
	buffered := br.Buffered()
	for range 3 {
		if n, err := dr.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("Read after the end = %d, %v; want 0, EOF", n, err)
		}
	}
	if br.Buffered() != buffered {
		t.Fatalf("Read after the end consumed from the bufio.Reader")
	}
	if n, err := dr.Read(nil); n != 0 || err != io.EOF {
		t.Fatalf("Read(nil) after the end = %d, %v", n, err)
	}
}

func TestDotReaderEmptyRead(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("a\r\n.\r\n"))
	dr := wire.NewDotReader(br, 1000)
	if n, err := dr.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
	if br.Buffered() != 0 {
		t.Fatalf("Read(nil) read from the connection")
	}
}

func TestDotReaderErrorsAreSticky(t *testing.T) {
	for _, tc := range []struct {
		in  string
		err error
	}{
		{"abc", io.ErrUnexpectedEOF},
		{strings.Repeat("x", 2000) + "\r\n.\r\n", wire.ErrLineTooLong},
	} {
		dr := wire.NewDotReader(bufio.NewReader(strings.NewReader(tc.in)), 1000)
		_, err := io.ReadAll(dr)
		if !errors.Is(err, tc.err) {
			t.Fatalf("err = %v, want %v", err, tc.err)
		}
		if n, err := dr.Read(make([]byte, 10)); n != 0 || !errors.Is(err, tc.err) {
			t.Fatalf("Read after %v = %d, %v", tc.err, n, err)
		}
	}
}

var errBoom = errors.New("boom")

func TestDotReaderPassesReadErrors(t *testing.T) {
	src := io.MultiReader(strings.NewReader("line\r\npart"), iotest.ErrReader(errBoom))
	dr := wire.NewDotReader(bufio.NewReader(src), 1000)
	got, err := io.ReadAll(dr)
	if err != errBoom {
		t.Fatalf("err = %v, want the reader's own error", err)
	}
	if string(got) != "line\r\n" {
		t.Fatalf("message = %q, want the complete line", got)
	}
	src = io.MultiReader(strings.NewReader("line\r\n"), iotest.TimeoutReader(strings.NewReader("x")))
	_, err = io.ReadAll(wire.NewDotReader(bufio.NewReader(src), 1000))
	if err != iotest.ErrTimeout {
		t.Fatalf("err = %v, want %v", err, iotest.ErrTimeout)
	}
}

func TestDotReaderReset(t *testing.T) {
	dr := wire.NewDotReader(bufio.NewReader(strings.NewReader("abc")), 1000)
	if _, err := io.ReadAll(dr); err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v", err)
	}
	// Reset clears the error, the line state and the limit.
	dr.Reset(bufio.NewReader(strings.NewReader("..x\r\n.\r\n")), 6)
	if got, err := io.ReadAll(dr); err != nil || string(got) != ".x\r\n" {
		t.Fatalf("after Reset: %q, %v", got, err)
	}
	dr.Reset(bufio.NewReader(strings.NewReader("123456\r\n.\r\n")), 6)
	if _, err := io.ReadAll(dr); err != wire.ErrLineTooLong {
		t.Fatalf("after Reset to max 6: %v, want ErrLineTooLong", err)
	}
	// Reset in the middle of a line starts at the beginning of a line.
	br := bufio.NewReaderSize(strings.NewReader("abcdefghijklmnopqrstuvwxyz\r\n.\r\n"), 16)
	dr.Reset(br, 1000)
	if n, err := dr.Read(make([]byte, 3)); n != 3 || err != nil {
		t.Fatalf("Read = %d, %v", n, err)
	}
	dr.Reset(bufio.NewReader(strings.NewReader(".\r\n")), 1000)
	if got, err := io.ReadAll(dr); err != nil || len(got) != 0 {
		t.Fatalf("after Reset mid-line: %q, %v; want an empty message", got, err)
	}
}

// TestDotReaderDoesNotBlock checks that Read returns the lines it has
// rather than wait for more of a message that is still being sent.
func TestDotReaderDoesNotBlock(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	dr := wire.NewDotReader(bufio.NewReader(pr), 1000)
	go func() {
		// A whole line and the start of the next: the whole line is
		// returned while the rest is still on its way.
		pw.Write([]byte("first line\r\nsecond"))
	}()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	p := make([]byte, 4096)
	go func() {
		n, err := dr.Read(p)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || string(p[:r.n]) != "first line\r\n" {
			t.Fatalf("Read = %q, %v", p[:r.n], r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read blocked with a complete line in hand")
	}
	go func() {
		pw.Write([]byte(" line\r\n.\r\n"))
		pw.Close()
	}()
	if n, err := dr.Read(p); string(p[:n]) != "second line\r\n" || err != nil {
		t.Fatalf("Read = %q, %v; want the second line", p[:n], err)
	}
	if n, err := dr.Read(p); n != 0 || err != io.EOF {
		t.Fatalf("Read = %d, %v; want the end of the message", n, err)
	}
}

// TestDotReaderLargeMessage reads a message much larger than the buffer
// and checks that it comes out the same with a 16-octet buffer and
// 1-octet reads as with a large buffer.
func TestDotReaderLargeMessage(t *testing.T) {
	msg, wire_ := benchMessage(64 << 10)
	for _, size := range []int{16, 4096, 64 << 10} {
		for _, sizes := range [][]int{{1}, {4096}, {13, 4000}} {
			br := bufio.NewReaderSize(strings.NewReader(wire_+"QUIT\r\n"), size)
			got, err := readAllSized(wire.NewDotReader(br, 1000), sizes)
			if err != io.EOF || !bytes.Equal(got, msg) {
				t.Fatalf("bufio %d, reads %v: %d octets, %v; want %d octets", size, sizes, len(got), err, len(msg))
			}
			if line, err := wire.ReadLine(br, 512); err != nil || string(line) != "QUIT" {
				t.Fatalf("after the message: %q, %v", line, err)
			}
		}
	}
}

// benchMessage returns a message of about n octets in 76-octet lines
// (78 with CR LF), every tenth starting with a dot, and its dot-stuffed
// wire form with the terminator.
func benchMessage(n int) (msg []byte, wireForm string) {
	var m, w bytes.Buffer
	for i := 0; m.Len() < n; i++ {
		line := fmt.Sprintf("%06d ", i) + strings.Repeat("abcdefghij", 7)[:69] + "\r\n"
		if i%10 == 0 {
			line = "." + line[1:]
			w.WriteString(".")
		}
		m.WriteString(line)
		w.WriteString(line)
	}
	w.WriteString(".\r\n")
	return m.Bytes(), w.String()
}
