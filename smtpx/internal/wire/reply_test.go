package wire_test

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

func TestAppendReply(t *testing.T) {
	tests := []struct {
		code, class, subject, detail int
		text                         string
		want                         string
	}{
		{250, 0, 0, 0, "OK", "250 OK\r\n"},
		{250, 2, 0, 0, "OK", "250 2.0.0 OK\r\n"},
		{550, 5, 7, 1, "Relaying denied", "550 5.7.1 Relaying denied\r\n"},
		{421, 4, 4, 2, "Idle for too long", "421 4.4.2 Idle for too long\r\n"},
		{552, 5, 3, 4, "Message too big", "552 5.3.4 Message too big\r\n"},
		{250, 0, 0, 0, "", "250 \r\n"},
		{250, 2, 0, 0, "", "250 2.0.0 \r\n"},
		{250, 0, 0, 0, "mx.example.org\nPIPELINING\nSIZE 10240000\n8BITMIME",
			"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"},
		{250, 0, 0, 0, "a\r\nb", "250-a\r\n250 b\r\n"},
		{250, 0, 0, 0, "a\r\nb\r", "250-a\r\n250 b\r\n"},
		{554, 5, 7, 0, "one\ntwo", "554-5.7.0 one\r\n554 5.7.0 two\r\n"},
		{250, 0, 0, 0, "trailing\n", "250-trailing\r\n250 \r\n"},
		{250, 0, 0, 0, "\n", "250-\r\n250 \r\n"},
		{250, 0, 0, 0, "a\n\nb", "250-a\r\n250-\r\n250 b\r\n"},
		{220, 0, 0, 0, "mx ESMTP", "220 mx ESMTP\r\n"},
		{354, 0, 0, 0, "End data with <CR><LF>.<CR><LF>", "354 End data with <CR><LF>.<CR><LF>\r\n"},
		{550, 5, 1, 10, "x", "550 5.1.10 x\r\n"},
		{451, 4, 3, 0, "x", "451 4.3.0 x\r\n"},
	}
	for _, tt := range tests {
		got := wire.AppendReply(nil, tt.code, tt.class, tt.subject, tt.detail, tt.text)
		if string(got) != tt.want {
			t.Errorf("AppendReply(%d, %d.%d.%d, %q) = %q, want %q", tt.code, tt.class, tt.subject, tt.detail, tt.text, got, tt.want)
		}
	}
}

func TestAppendReplyAppends(t *testing.T) {
	b := make([]byte, 0, 64)
	b = append(b, "prefix:"...)
	b = wire.AppendReply(b, 250, 2, 1, 0, "a\nb")
	if want := "prefix:250-2.1.0 a\r\n250 2.1.0 b\r\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = wire.AppendReply(buf[:0], 250, 2, 0, 0, "mx.example.org\nPIPELINING\n8BITMIME")
	})
	if allocs != 0 {
		t.Errorf("AppendReply into a large enough buffer allocates %v times, want 0", allocs)
	}
}

func TestReplyError(t *testing.T) {
	r := &wire.Reply{Code: 501, Class: 5, Subject: 5, Detail: 4, Text: "Syntax error in parameters"}
	if got, want := r.Error(), "501 5.5.4 Syntax error in parameters\r\n"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var err error = r
	var wr *wire.Reply
	if !errors.As(err, &wr) || wr != r {
		t.Errorf("errors.As does not find the *Reply")
	}
}
