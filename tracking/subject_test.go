package tracking

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSubject(t *testing.T) {
	long := strings.Repeat("é", MaxSubject) // two bytes each
	tests := []struct{ name, raw, want string }{
		{"plain", "Quarterly report", "Quarterly report"},
		{"folded", "Quarterly\r\n report", "Quarterly report"},
		{"trimmed", "  hello \t", "hello"},
		{"Q-encoded", "=?UTF-8?Q?Caf=C3=A9_au_lait?=", "Café au lait"},
		{"B-encoded, folded between words", "=?utf-8?b?w4lj?=\r\n =?utf-8?b?b2xl?=", "École"},
		{"Latin-1", "=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"},
		{"unknown charset kept", "=?x-unknown?Q?abc?=", "=?x-unknown?Q?abc?="},
		{"bad encoding kept", "=?UTF-8?B?%%%?=", "=?UTF-8?B?%%%?="},
		{"controls are spaces", "a\x00b\x1bc", "a b c"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"cut at a character", long, long[:MaxSubject]},
		{"cut inside a character", "x" + long, "x" + long[:MaxSubject-2]},
	}
	for _, tt := range tests {
		if got := Subject(tt.raw); got != tt.want {
			t.Errorf("%s: Subject(%q) = %q, want %q", tt.name, tt.raw, got, tt.want)
		}
	}
}

// TestReceiveSubject writes a RECEIVE record as the transport builds it
// from the session's Queued event, whose subject is the Subject field as
// received: the column has it decoded when subject logging is on, and
// nothing when it is off.
func TestReceiveSubject(t *testing.T) {
	event := struct{ QueueID, Subject string }{"01JQ", "=?UTF-8?Q?Caf=C3=A9?=\r\n plans"}
	for _, on := range []bool{true, false} {
		var buf bytes.Buffer
		l := New(&buf, WithClock((&clock{t0}).Now), WithFlushInterval(0), WithSubjectLogging(on))
		if l.SubjectLogging() != on {
			t.Errorf("SubjectLogging() = %v, want %v", l.SubjectLogging(), on)
		}
		r := Record{EventID: Receive, Source: SourceSMTP, InternalMessageID: event.QueueID}
		if l.SubjectLogging() {
			r.MessageSubject = Subject(event.Subject)
		}
		l.Track(r)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		recs, err := Parse(&buf)
		if err != nil || len(recs) != 1 {
			t.Fatalf("subject logging %v: %v %+v", on, err, recs)
		}
		want := ""
		if on {
			want = "Café plans"
		}
		if got := recs[0].MessageSubject; got != want {
			t.Errorf("subject logging %v: message-subject %q, want %q", on, got, want)
		}
	}
	var off *Log
	if off.SubjectLogging() {
		t.Error("a nil Log logs subjects")
	}
}

func FuzzSubject(f *testing.F) {
	for _, s := range []string{"hello", "=?UTF-8?Q?Caf=C3=A9?=", "=?utf-8?b?w4lj?=\r\n =?utf-8?b?b2xl?=", "a\xffb", "=?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s := Subject(raw)
		if len(s) > MaxSubject || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("Subject(%q) = %q", raw, s)
		}
	})
}
