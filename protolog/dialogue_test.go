package protolog

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// step is one write of the dialogue: client (C) or server (S) bytes.
type step struct {
	server bool
	text   string
}

func C(s string) step { return step{false, s} }
func S(s string) step { return step{true, s} }

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	return func() time.Time { return t0 }
}

// run logs steps in a session of a log of type typ and returns "ev data"
// per record.
func run(t *testing.T, typ Type, steps []step) []string {
	t.Helper()
	var buf bytes.Buffer
	l := New(&buf, WithType(typ), WithFlushInterval(0), WithClock(fixedClock()))
	s := l.Session(`HUB\Default`, "08D675E58CA1DA38", "127.0.0.1:25", "127.0.0.1:4000")
	for _, st := range steps {
		if st.server {
			s.Server([]byte(st.text))
		} else {
			s.Client([]byte(st.text))
		}
	}
	s.Disconnect("Local")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := Parse(&buf)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, buf.String())
	}
	var out []string
	for i, r := range recs {
		if r.Sequence != i {
			t.Errorf("record %d has sequence %d", i, r.Sequence)
		}
		if r.Event == EventDisconnect {
			continue
		}
		out = append(out, r.Event.String()+" "+r.Data)
	}
	return out
}

func TestDialogue(t *testing.T) {
	tests := []struct {
		name  string
		typ   Type
		steps []step
		want  []string
	}{
		{
			name: "ehlo multi-line reply joined",
			steps: []step{S("220 mx ready\r\n"), C("EHLO c.example\r\n"),
				S("250-mx Hello\r\n250-SIZE 100\r\n250 STARTTLS\r\n")},
			want: []string{"> 220 mx ready", "< EHLO c.example", "> 250 mx Hello SIZE 100 STARTTLS"},
		},
		{
			name:  "send log directions",
			typ:   Send,
			steps: []step{S("220 mx ready\r\n"), C("EHLO c.example\r\n"), S("250 mx\r\n")},
			want:  []string{"< 220 mx ready", "> EHLO c.example", "< 250 mx"},
		},
		{
			name: "auth login redacted",
			steps: []step{C("AUTH LOGIN\r\n"), S("334 VXNlcm5hbWU6\r\n"), C("dXNlcg==\r\n"),
				S("334 UGFzc3dvcmQ6\r\n"), C("cGFzcw==\r\n"), S("235 2.7.0 Authentication successful\r\n"),
				C("MAIL FROM:<a@b>\r\n")},
			want: []string{"< AUTH LOGIN", "> 334 VXNlcm5hbWU6", "< " + AuthResponse, "> 334 UGFzc3dvcmQ6",
				"< " + AuthResponse, "> 235 2.7.0 Authentication successful", "< MAIL FROM:<a@b>"},
		},
		{
			name:  "auth plain initial response",
			steps: []step{C("auth plain AHVzZXIAcGFzcw==\r\n"), S("235 ok\r\n")},
			want:  []string{"< auth plain " + AuthResponse, "> 235 ok"},
		},
		{
			name:  "pipelined credentials before the challenge",
			steps: []step{C("AUTH LOGIN\r\ndXNlcg==\r\n"), S("334 VXNlcm5hbWU6\r\n"), C("cGFzcw==\r\n"), S("535 5.7.8 no\r\n")},
			want:  []string{"< AUTH LOGIN", "< " + AuthResponse, "> 334 VXNlcm5hbWU6", "< " + AuthResponse, "> 535 5.7.8 no"},
		},
		{
			name: "data body skipped, split anywhere",
			steps: []step{C("DATA\r\n"), S("354 go\r\n"), C("Subject: secret\r\n\r\n250 looks like a reply\r\n..stuffed\r"),
				C("\n."), C("\r\n"), S("250 2.6.0 queued\r\n"), C("QUIT\r\n")},
			want: []string{"< DATA", "> 354 go", "> 250 2.6.0 queued", "< QUIT"},
		},
		{
			name:  "data refused ends body mode",
			steps: []step{C("DATA\r\n"), S("554 5.5.1 no valid recipients\r\n"), C("RSET\r\n")},
			want:  []string{"< DATA", "> 554 5.5.1 no valid recipients", "< RSET"},
		},
		{
			name: "pipelined transaction: DATA's own reply opens the body",
			steps: []step{C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"), S("250 ok\r\n250 ok\r\n"),
				S("354 go\r\n"), C("Subject: secret\r\n\r\nbody\r\n.\r\n"), S("250 queued\r\n"), C("QUIT\r\n")},
			want: []string{"< MAIL FROM:<a@b>", "< RCPT TO:<c@d>", "< DATA", "> 250 ok", "> 250 ok", "> 354 go",
				"> 250 queued", "< QUIT"},
		},
		{
			name: "pipelined transaction: DATA refused",
			steps: []step{C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
				S("250 ok\r\n550 5.7.1 no\r\n554 5.5.1 no valid recipients\r\n"), C("RSET\r\n")},
			want: []string{"< MAIL FROM:<a@b>", "< RCPT TO:<c@d>", "< DATA", "> 250 ok", "> 550 5.7.1 no",
				"> 554 5.5.1 no valid recipients", "< RSET"},
		},
		{
			name:  "bdat chunk skipped",
			steps: []step{C("BDAT 12 LAST\r\nHello\r\nWorld"), S("250 ok\r\n"), C("QUIT\r\n")},
			want:  []string{"< BDAT 12 LAST", "> 250 ok", "< QUIT"},
		},
		{
			name:  "commands split across writes",
			steps: []step{C("MAIL FR"), C("OM:<a@b>\r"), C("\nRCPT TO:<c@d>\r\nRSET\r\n")},
			want:  []string{"< MAIL FROM:<a@b>", "< RCPT TO:<c@d>", "< RSET"},
		},
		{
			name:  "partial lines flushed at disconnect",
			steps: []step{C("QUIT"), S("221-bye\r\n")},
			want:  []string{"< QUIT", "> 221 bye"},
		},
		{
			name:  "csv special characters",
			steps: []step{C("MAIL FROM:<\"a,b\"@c>\r\n")},
			want:  []string{`< MAIL FROM:<"a,b"@c>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, tt.typ, tt.steps)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLongLineCut(t *testing.T) {
	got := run(t, Receive, []step{C(strings.Repeat("x", 3*maxLine) + "\r\nNOOP\r\n")})
	if len(got) != 2 || len(got[0]) != 2+maxLine || got[1] != "< NOOP" {
		t.Fatalf("got %d records, first %d bytes", len(got), len(got[0]))
	}
}

func TestNilSafe(t *testing.T) {
	var l *Log
	s := l.Session("c", "s", "l", "r")
	s.Connect("")
	s.Client([]byte("EHLO x\r\n"))
	s.Server([]byte("250 ok\r\n"))
	s.Info("x", "y")
	s.Disconnect("Local")
	if s != nil || l.Flush() != nil || l.Close() != nil || s.ID() != "" {
		t.Fatal("nil Log/Session not inert")
	}
}

// FuzzDialogue feeds arbitrary client and server bytes, interleaved at
// arbitrary cuts: no panic, the log parses with consecutive sequence
// numbers, and a credential sent after AUTH never appears.
func FuzzDialogue(f *testing.F) {
	f.Add("EHLO x\r\nMAIL FROM:<a@b>\r\nDATA\r\nbody\r\n.\r\n", "220 hi\r\n250-x\r\n250 ok\r\n354 go\r\n250 ok\r\n", uint8(5))
	f.Add("BDAT 3 LAST\r\nabcQUIT\r\n", "250 ok\r\n221 bye\r\n", uint8(1))
	f.Add("AUTH LOGIN\r\n\r\n", "334 x\r\n", uint8(0))
	f.Fuzz(func(t *testing.T, client, server string, cut uint8) {
		if len(client)+len(server) > 8<<10 {
			return // long inputs only slow the fuzzer down (per-byte writes)
		}
		var buf bytes.Buffer
		l := New(&buf, WithFlushInterval(0))
		s := l.Session("c", "s", "l", "r")
		const secret = "Zm9vYmFyU2VjcmV0"
		client = client + "\r\nAUTH PLAIN " + secret + "\r\n"
		n := int(cut) + 1
		for len(client) > 0 || len(server) > 0 {
			k := min(n, len(client))
			s.Client([]byte(client[:k]))
			client = client[k:]
			k = min(n, len(server))
			s.Server([]byte(server[:k]))
			server = server[k:]
		}
		s.Disconnect("Local")
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		recs, err := Parse(&buf)
		if err != nil {
			t.Fatalf("Parse: %v\n%q", err, buf.String())
		}
		for i, r := range recs {
			if r.Sequence != i {
				t.Fatalf("record %d has sequence %d", i, r.Sequence)
			}
		}
		if strings.Contains(buf.String(), secret) {
			t.Fatalf("credential logged:\n%s", buf.String())
		}
	})
}
