package protolog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHeaderAndRecord(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, WithFlushInterval(0), WithClock(fixedClock()), WithType(Send))
	s := l.Session("Outbound", "08D675E58CA1DA38", "10.0.0.1:50000", "10.0.0.2:25")
	s.Connect("")
	s.Info("", "Sending certificate")
	s.Sent("MAIL FROM:<\"x,y\"@a>", "")
	s.Received("multi\r\nline", "")
	s.Disconnect("Local")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := "#Software: hubedge\r\n#Version: 15.0.0.0\r\n#Log-type: SMTP Send Protocol Log\r\n" +
		"#Date: 2026-01-02T03:04:05.006Z\r\n#Fields: " + Fields + "\r\n" +
		"2026-01-02T03:04:05.006Z,Outbound,08D675E58CA1DA38,0,10.0.0.1:50000,10.0.0.2:25,+,,\r\n" +
		"2026-01-02T03:04:05.006Z,Outbound,08D675E58CA1DA38,1,10.0.0.1:50000,10.0.0.2:25,*,,Sending certificate\r\n" +
		"2026-01-02T03:04:05.006Z,Outbound,08D675E58CA1DA38,2,10.0.0.1:50000,10.0.0.2:25,>,\"MAIL FROM:<\"\"x,y\"\"@a>\",\r\n" +
		"2026-01-02T03:04:05.006Z,Outbound,08D675E58CA1DA38,3,10.0.0.1:50000,10.0.0.2:25,<,\"multi\r\nline\",\r\n" +
		"2026-01-02T03:04:05.006Z,Outbound,08D675E58CA1DA38,4,10.0.0.1:50000,10.0.0.2:25,-,,Local\r\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
	recs, err := Parse(&buf)
	if err != nil || len(recs) != 5 || recs[2].Data != `MAIL FROM:<"x,y"@a>` || recs[3].Data != "multi\r\nline" {
		t.Fatalf("Parse = %+v, %v", recs, err)
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "2026-01-02T03:04:05.006Z,c,s,0,l,r,+,,\n"
	tests := []struct {
		name, in string
		line     int
	}{
		{"fields", "#Fields: a,b\n", 1},
		{"count", ok + "2026-01-02T03:04:05.006Z,c,s,1,l,r,+,\n", 2},
		{"time", "yesterday,c,s,0,l,r,+,,\n", 1},
		{"sequence", "2026-01-02T03:04:05.006Z,c,s,-1,l,r,+,,\n", 1},
		{"event", "2026-01-02T03:04:05.006Z,c,s,0,l,r,?,,\n", 1},
		{"unterminated", ok + "2026-01-02T03:04:05.006Z,c,s,0,l,r,+,\"abc\n", 2},
		{"bare quote", "2026-01-02T03:04:05.006Z,c,s,0,l,r,+,a\"b,\n", 1},
		{"after quote", "2026-01-02T03:04:05.006Z,c,s,0,l,r,+,\"a\"b,\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) || pe.Line != tt.line {
				t.Fatalf("err = %v, want ParseError at line %d", err, tt.line)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	in := "#Software: x\n\n2026-01-02T03:04:05.006Z,c,s,0,l,r,+,,\r\n2026-01-02T03:04:05.006Z,c,s,1,l,r,<,\"\",\"a\"\"\""
	recs, err := Parse(strings.NewReader(in))
	if err != nil || len(recs) != 2 || recs[1].Context != `a"` || recs[1].Data != "" {
		t.Fatalf("Parse = %+v, %v", recs, err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("HUB\\Default", "08D6", "1.2.3.4:25", "5.6.7.8:1", byte('<'), "EHLO x", "", 3)
	f.Add("a,b", "\"", "\r\n", "\n", byte('*'), "\"\"", ",\r", 0)
	f.Add("", "", "", "", byte('-'), "", "Local", 1<<40)
	f.Fuzz(func(t *testing.T, conn, sess, local, remote string, ev byte, data, ctx string, seq int) {
		// Parse must not panic on anything.
		_, _ = Parse(strings.NewReader(conn + "\n" + data + "," + ctx))
		if !Event(ev).valid() || seq < 0 {
			return
		}
		r := Record{Time: time.Unix(1700000000, 123e6).UTC(), ConnectorID: conn, SessionID: sess, Sequence: seq,
			Local: local, Remote: remote, Event: Event(ev), Data: data, Context: ctx}
		line := appendRecord(nil, &r)
		got, err := Parse(bytes.NewReader(line))
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if len(got) != 1 || got[0] != r {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", line, got, r)
		}
	})
}

func TestAppendTimeMatchesLayout(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 30, 22, 30, 0, 5e8, time.FixedZone("x", 5*3600)),
	} {
		if got, want := string(appendTime(nil, tm)), tm.UTC().Format(TimeLayout); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}
