package perms

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// oracleFilter is Firewall.Filter as it was before ScanHeader: the header
// block parsed by go-message's textproto.ReadHeader, filtered field by
// field (oracleFilterHeader) and written back with textproto.WriteHeader.
// It is the oracle of FuzzFilterDifferential.
func oracleFilter(f *Firewall, dst io.Writer, src io.Reader, d Direction, rights Right) ([]Removed, error) {
	limit := f.maxHeaderBytes()
	lr := &headerLimitReader{r: src, n: limit}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	switch {
	case lr.tripped:
		return nil, &HeaderTooLargeError{Limit: int(limit)}
	case lr.err != nil:
		return nil, readError(lr.err)
	case err != nil:
		return nil, &HeaderError{Err: err}
	}
	lr.n = -1
	removed := oracleFilterHeader(f, &h, Allowed(d, rights))
	var hdr bytes.Buffer
	if err := textproto.WriteHeader(&hdr, h); err != nil {
		return removed, writeError(err)
	}
	if _, err := dst.Write(hdr.Bytes()); err != nil {
		return removed, writeError(err)
	}
	if _, err := io.Copy(dst, br); err != nil {
		if lr.err != nil {
			return removed, readError(lr.err)
		}
		return removed, writeError(err)
	}
	return removed, nil
}

// oracleFilterHeader removes from h every field whose class is not in
// keep and returns what it removed, in header order.
func oracleFilterHeader(f *Firewall, h *textproto.Header, keep Class) []Removed {
	var out []Removed
	for fs := h.Fields(); fs.Next(); {
		c, ok := f.ClassOf(fs.Key())
		if !ok || keep&c != 0 {
			continue
		}
		out = append(out, Removed{Class: c, Key: fs.Key(), Value: fs.Value()})
		fs.Del()
	}
	return out
}

// oracleQuirk reports inputs on which textproto.ReadHeader is known to
// misbehave and ScanHeader deliberately differs: a last header line
// without a line end whose length is a multiple of bufio's 4096-byte
// buffer makes ReadLine report io.EOF with the line's last chunk, so
// ReadHeader fails on a first line and, on a continuation line, returns
// the field without its CRLF, leaving the message without the blank line
// after its header. ScanHeader takes such a line as any other cut short.
// The check is coarse (any unterminated last line of 4095 bytes or more).
func oracleQuirk(msg []byte) bool {
	if len(msg) == 0 || msg[len(msg)-1] == '\n' {
		return false
	}
	return len(msg)-1-bytes.LastIndexByte(msg, '\n') >= 4095
}

// FuzzFilterDifferential runs Filter and oracleFilter on the same input
// and requires the same outcome: both fail or neither, with the same error
// type, the same removed fields, and byte-identical output.
func FuzzFilterDifferential(f *testing.F) {
	long := strings.Repeat("x", 5000)
	for _, s := range []string{
		"",
		"\r\n",
		"\n",
		"\r\n\r\nbody",
		sampleHeader + sampleBody,
		"Received: a\r\n b\r\n\tc\r\nTo: x\r\n\r\nbody",
		"received: a\nRECEIVED: b\nReCeIvEd : c\n\nbody",
		"Received \t: x\r\nResent-From\t: y\r\nX-MS-Exchange-Organization-SCL : 9\r\n\r\n",
		"X-MS-Exchange-Organization-AuthAs: Internal\n\tInternal\n\n",
		"x-ms-exchange-forest-a:1\r\nX-MS-EXCHANGE-FOREST-B:2\r\n",
		"Received: a\r\nSubject: no blank line",
		"Subject: cut short",
		" leading: continuation\r\n\r\n",
		"\tX: y\r\n",
		"no colon\r\n\r\n",
		"Sub ject: x\r\n\r\n",
		"Subject\r\n : colon on a continuation\r\n\r\n",
		": empty name\r\n continued\r\nTo: a\r\n\r\n",
		"  : x\r\n\r\n",
		"To: a\r\r\n\r\n",
		"To: a\rb\r\nX-A: \r\n \r\n\t\r\n\r\n",
		"To: a\r\n\r\r\n",
		"X(A): b\r\nx@y: c\r\n\r\n",
		"To: caf\xc3\xa9\r\n\xff: x\r\n\r\n",
		"Subject: " + long + "\r\n\r\nbody",
		"Subject: x\r\n " + long + "\r\n\r\n",
		"Received: x\r\n " + long,
		long + ": y\r\n\r\n",
		"Subject: " + long[:4096-len("Subject: ")-1] + "\r\nReceived: a\r\n\r\n", // CRLF across bufio's buffer
		"Received: " + long[:4096-len("Received: ")-1] + "\r\n\r\n",
		strings.Repeat("X-A: b\r\n", 2000) + "\r\n",
	} {
		f.Add([]byte(s), uint32(0), false, uint16(0))
		f.Add([]byte(s), uint32(SendRoutingHeaders), true, uint16(40))
	}
	f.Fuzz(func(t *testing.T, msg []byte, rights uint32, send bool, limit uint16) {
		d := Receive
		if send {
			d = Send
		}
		fw := &Firewall{MaxHeaderBytes: int(limit)}
		if limit == 0 {
			fw.MaxHeaderBytes = -1
		}
		var got, want bytes.Buffer
		gotRm, gotErr := fw.Filter(&got, bytes.NewReader(msg), d, Right(rights))
		wantRm, wantErr := oracleFilter(fw, &want, bytes.NewReader(msg), d, Right(rights))
		if gotErr != nil && got.Len() != 0 {
			t.Fatalf("wrote %d bytes before failing: %v", got.Len(), gotErr)
		}
		if oracleQuirk(msg) {
			return
		}
		if (gotErr == nil) != (wantErr == nil) ||
			errors.Is(gotErr, ErrHeaderTooLarge) != errors.Is(wantErr, ErrHeaderTooLarge) ||
			errors.Is(gotErr, ErrMalformedHeader) != errors.Is(wantErr, ErrMalformedHeader) {
			t.Fatalf("error %v, oracle %v", gotErr, wantErr)
		}
		if len(gotRm) != len(wantRm) {
			t.Fatalf("removed %q, oracle %q", gotRm, wantRm)
		}
		for i := range gotRm {
			if gotRm[i] != wantRm[i] {
				t.Fatalf("removed[%d] = %+v, oracle %+v", i, gotRm[i], wantRm[i])
			}
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("output differs:\n got %q\nwant %q", got.Bytes(), want.Bytes())
		}
	})
}

// TestOracleQuirk pins the go-message behaviour oracleQuirk excuses, so
// the exclusion goes away if a newer go-message fixes it.
func TestOracleQuirk(t *testing.T) {
	line := "Subject: " + strings.Repeat("x", 4096-len("Subject: "))
	_, err := oracleFilter(nil, io.Discard, strings.NewReader(line), Receive, 0)
	if err == nil {
		t.Fatal("textproto.ReadHeader accepts a 4096-byte last line; drop oracleQuirk")
	}
	var out bytes.Buffer
	_, err = Filter(&out, strings.NewReader(line), Receive, 0)
	if err != nil || out.String() != line+"\r\n\r\n" {
		t.Fatalf("Filter = %q, %v", out.String(), err)
	}
}
