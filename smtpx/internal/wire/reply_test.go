package wire_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func status(class, subject, detail int) dsn.Status {
	return dsn.Status{Class: class, Subject: subject, Detail: detail}
}

func TestAppendReply(t *testing.T) {
	tests := []struct {
		r    dsn.Reply
		want string
	}{
		{dsn.Reply{Code: 250, Text: "OK"}, "250 OK\r\n"},
		{dsn.Reply{Code: 250, Status: status(2, 0, 0), Text: "OK"}, "250 2.0.0 OK\r\n"},
		{dsn.Reply{Code: 550, Status: status(5, 7, 1), Text: "Relaying denied"}, "550 5.7.1 Relaying denied\r\n"},
		{dsn.Reply{Code: 421, Status: status(4, 4, 2), Text: "Idle for too long"}, "421 4.4.2 Idle for too long\r\n"},
		{dsn.Reply{Code: 552, Status: status(5, 3, 4), Text: "Message too big"}, "552 5.3.4 Message too big\r\n"},
		{dsn.Reply{Code: 250}, "250 \r\n"},
		{dsn.Reply{Code: 250, Status: status(2, 0, 0)}, "250 2.0.0 \r\n"},
		{dsn.Reply{Code: 250, Text: "mx.example.org\nPIPELINING\nSIZE 10240000\n8BITMIME"},
			"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"},
		{dsn.Reply{Code: 250, Text: "a\r\nb"}, "250-a\r\n250 b\r\n"},
		{dsn.Reply{Code: 250, Text: "a\r\nb\r"}, "250-a\r\n250 b\r\n"},
		{dsn.Reply{Code: 554, Status: status(5, 7, 0), Text: "one\ntwo"}, "554-5.7.0 one\r\n554 5.7.0 two\r\n"},
		{dsn.Reply{Code: 250, Text: "trailing\n"}, "250-trailing\r\n250 \r\n"},
		{dsn.Reply{Code: 250, Text: "\n"}, "250-\r\n250 \r\n"},
		{dsn.Reply{Code: 250, Text: "a\n\nb"}, "250-a\r\n250-\r\n250 b\r\n"},
		{dsn.Reply{Code: 220, Text: "mx ESMTP"}, "220 mx ESMTP\r\n"},
		{dsn.Reply{Code: 354, Text: "End data with <CR><LF>.<CR><LF>"}, "354 End data with <CR><LF>.<CR><LF>\r\n"},
		{dsn.Reply{Code: 550, Status: status(5, 1, 10), Text: "x"}, "550 5.1.10 x\r\n"},
		{dsn.Reply{Code: 451, Status: status(4, 3, 0), Text: "x"}, "451 4.3.0 x\r\n"},
	}
	for _, tt := range tests {
		if got := wire.AppendReply(nil, tt.r); string(got) != tt.want {
			t.Errorf("AppendReply(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestAppendReplyAppends(t *testing.T) {
	b := make([]byte, 0, 64)
	b = append(b, "prefix:"...)
	b = wire.AppendReply(b, dsn.Reply{Code: 250, Status: status(2, 1, 0), Text: "a\nb"})
	if want := "prefix:250-2.1.0 a\r\n250 2.1.0 b\r\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	buf := make([]byte, 0, 256)
	r := dsn.Reply{Code: 250, Status: status(2, 0, 0), Text: "mx.example.org\nPIPELINING\n8BITMIME"}
	allocs := testing.AllocsPerRun(100, func() {
		buf = wire.AppendReply(buf[:0], r)
	})
	if allocs != 0 {
		t.Errorf("AppendReply into a large enough buffer allocates %v times, want 0", allocs)
	}
}

func TestParserErrorsAreReplies(t *testing.T) {
	_, err := wire.ParseMail([]byte("FROM:<a@b> FOO=bar"), 0)
	var r *dsn.Reply
	if !errors.As(err, &r) || r.Code != 555 || r.Enhanced() != "5.5.4" {
		t.Fatalf("ParseMail error %v (%T), want a 555 5.5.4 *dsn.Reply", err, err)
	}
	if got, want := string(wire.AppendReply(nil, *r)), "555 5.5.4 Parameter not recognized or not implemented\r\n"; got != want {
		t.Errorf("on the wire %q, want %q", got, want)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		in   string
		want dsn.Reply
		err  error
		next string // what the reader still holds after the reply
	}{
		{in: "250 OK\r\n", want: dsn.Reply{Code: 250, Text: "OK"}},
		{in: "250 2.1.0 Sender OK\r\nNEXT", want: dsn.Reply{Code: 250, Status: status(2, 1, 0), Text: "Sender OK"}, next: "NEXT"},
		{in: "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
			want: dsn.Reply{Code: 250, Text: "mx.example.org\nPIPELINING\n8BITMIME"}},
		{in: "554-5.7.0 one\r\n554 5.7.0 two\r\n", want: dsn.Reply{Code: 554, Status: status(5, 7, 0), Text: "one\ntwo"}},
		{in: "250\r\n", want: dsn.Reply{Code: 250}},
		{in: "220 mx ESMTP\n", want: dsn.Reply{Code: 220, Text: "mx ESMTP"}},
		{in: "550 5.1.1 <a@b>: unknown\r\n", want: dsn.Reply{Code: 550, Status: status(5, 1, 1), Text: "<a@b>: unknown"}},
		{in: "550 9.9.9 not a status\r\n", want: dsn.Reply{Code: 550, Text: "9.9.9 not a status"}},
		{in: "250-a\r\n251 b\r\n", err: wire.ErrBadReply},
		{in: "25 OK\r\n", err: wire.ErrBadReply},
		{in: "2500 OK\r\n", err: wire.ErrBadReply},
		{in: "abc OK\r\n", err: wire.ErrBadReply},
		{in: "099 OK\r\n", err: wire.ErrBadReply},
		{in: "\r\n", err: wire.ErrBadReply},
		{in: "250-a\r\n", err: io.EOF},
		{in: "250 no line end", err: io.EOF},
		{in: "250 " + strings.Repeat("x", 5000) + "\r\n", err: wire.ErrLineTooLong},
		{in: strings.Repeat("250-x\r\n", 600) + "250 x\r\n", err: wire.ErrLineTooLong},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), 8192)
		got, err := wire.ReadReply(br)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ReadReply(%.40q) = %+v, %v; want error %v", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ReadReply(%.40q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if rest, _ := io.ReadAll(br); string(rest) != tt.next {
			t.Errorf("ReadReply(%.40q) left %q, want %q", tt.in, rest, tt.next)
		}
	}
}

// FuzzReplyRoundTrip: what AppendReply writes, ReadReply reads back as
// the same reply, and ReadReply never panics on any input.
func FuzzReplyRoundTrip(f *testing.F) {
	for _, s := range []string{"250 OK\r\n", "250-a\r\n250 b\r\n", "550 5.7.1 Unable to relay\r\n", "250\r\n", "421-4.3.2 x\r\n421 4.3.2 y\r\n", "", "2", "250-\r\n"} {
		f.Add(s, 250, 2, 0, 0, "text")
	}
	f.Fuzz(func(t *testing.T, in string, code, class, subject, detail int, text string) {
		_, _ = wire.ReadReply(bufio.NewReader(strings.NewReader(in)))

		code = 200 + abs(code)%400
		st := dsn.Status{}
		if abs(class)%4 != 0 { // one reply in four without an enhanced code
			st = dsn.Status{Class: []int{2, 4, 5}[abs(class)%3], Subject: abs(subject) % 1000, Detail: abs(detail) % 1000}
		}
		// Text a server can send: no CR (LF breaks lines), and without an
		// enhanced code no first word that would read back as one.
		text = strings.Map(func(r rune) rune {
			if r == '\r' {
				return -1
			}
			return r
		}, text)
		if len(text) > 1000 || strings.Count(text, "\n") > 100 {
			return
		}
		r := dsn.Reply{Code: code, Status: st, Text: text}
		if st == (dsn.Status{}) {
			if first, _, _ := strings.Cut(text, " "); first != "" {
				if _, err := dsn.ParseStatus(strings.SplitN(first, "\n", 2)[0]); err == nil {
					return // would read back as an enhanced code
				}
			}
		}
		got, err := wire.ReadReply(bufio.NewReader(strings.NewReader(string(wire.AppendReply(nil, r)))))
		if err != nil {
			t.Fatalf("ReadReply(AppendReply(%+v)): %v", r, err)
		}
		if got != r {
			t.Fatalf("round trip %+v -> %+v", r, got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}
