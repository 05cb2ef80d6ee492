package tracking

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func full() Record {
	return Record{Time: t0, ClientIP: "192.0.2.7", ClientHostname: "mail.fabrikam.com", ServerIP: "10.0.0.1",
		ServerHostname: "hub01", SourceContext: "08DE0001", ConnectorID: `HUB01\Default HUB01`, Source: SourceSMTP,
		EventID: Receive, InternalMessageID: "01JGZ3", MessageID: "<1@fabrikam.com>",
		Recipients: []string{"bob@contoso.com"}, RecipientStatus: []string{"250 2.1.5 Recipient OK"},
		TotalBytes: 4096, RecipientCount: 1, RelatedRecipientAddress: "rel@contoso.com", Reference: "<0@x>",
		MessageSubject: "hello", Sender: "alice@fabrikam.com", ReturnPath: "alice@fabrikam.com", MessageInfo: "info",
		Directionality: "Incoming", TenantID: "t", OriginalClientIP: "192.0.2.1", OriginalServerIP: "10.0.0.2", CustomData: "c"}
}

func TestRecordLine(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Record)
		subject bool
		want    string // the whole line without CRLF
	}{
		{"every column in order", func(*Record) {}, true,
			`2026-01-02T03:04:05.678Z,192.0.2.7,mail.fabrikam.com,10.0.0.1,hub01,08DE0001,HUB01\Default HUB01,SMTP,RECEIVE,01JGZ3,<1@fabrikam.com>,bob@contoso.com,250 2.1.5 Recipient OK,4096,1,rel@contoso.com,<0@x>,hello,alice@fabrikam.com,alice@fabrikam.com,info,Incoming,t,192.0.2.1,10.0.0.2,c`},
		{"subject logging off", func(*Record) {}, false,
			`2026-01-02T03:04:05.678Z,192.0.2.7,mail.fabrikam.com,10.0.0.1,hub01,08DE0001,HUB01\Default HUB01,SMTP,RECEIVE,01JGZ3,<1@fabrikam.com>,bob@contoso.com,250 2.1.5 Recipient OK,4096,1,rel@contoso.com,<0@x>,,alice@fabrikam.com,alice@fabrikam.com,info,Incoming,t,192.0.2.1,10.0.0.2,c`},
		{"empty record", func(r *Record) { *r = Record{Time: t0} }, true,
			`2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,0,,,,,,,,,,,`},
		{"comma and quote are quoted", func(r *Record) { *r = Record{Time: t0, MessageSubject: `Re: "a", b`} }, true,
			`2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,0,,,"Re: ""a"", b",,,,,,,,`},
		{"CR and LF become spaces", func(r *Record) { *r = Record{Time: t0, MessageSubject: "a\r\n b\nc"} }, true,
			`2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,0,,,a   b c,,,,,,,,`},
		{"several recipients and statuses", func(r *Record) {
			*r = Record{Time: t0, Recipients: []string{"a@x", "b@x"},
				RecipientStatus: []string{"550 4.4.7 QUEUE.Expired; message expired", "250 2.1.5 OK"}}
		}, true, `2026-01-02T03:04:05.678Z,,,,,,,,,,,a@x;b@x,"550 4.4.7 QUEUE.Expired, message expired;250 2.1.5 OK",0,0,,,,,,,,,,,`},
		{"one recipient keeps a ; in its status", func(r *Record) {
			*r = Record{Time: t0, Recipients: []string{"a@x"}, RecipientStatus: []string{"550 4.4.7 QUEUE.Expired; gone"}}
		}, true, `2026-01-02T03:04:05.678Z,,,,,,,,,,,a@x,550 4.4.7 QUEUE.Expired; gone,0,0,,,,,,,,,,,`},
		{"local time is written as UTC", func(r *Record) { *r = Record{Time: t0.In(time.FixedZone("X", 3600))} }, true,
			`2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,0,,,,,,,,,,,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := full()
			tt.edit(&r)
			line := string(appendRecord(nil, &r, tt.subject))
			if line != tt.want+"\r\n" {
				t.Fatalf("line\n%q\nwant\n%q", line, tt.want+"\r\n")
			}
			if n := strings.Count(Fields, ",") + 1; n != fieldCount {
				t.Fatalf("Fields has %d columns, fieldCount %d", n, fieldCount)
			}
			got, err := Parse(strings.NewReader(line))
			if err != nil || len(got) != 1 {
				t.Fatalf("parse: %v %v", got, err)
			}
			again := string(appendRecord(nil, &got[0], true))
			if again != line {
				t.Fatalf("round trip\n%q\nwant\n%q", again, line)
			}
		})
	}
}

func TestRoundTripFull(t *testing.T) {
	r := full()
	r.Recipients = []string{"a@x", "b@x"}
	r.RecipientStatus = []string{"250 OK", "550 5.1.1 unknown"}
	got, err := Parse(bytes.NewReader(appendRecord(nil, &r, true)))
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], r) {
		t.Fatalf("got %+v, %v\nwant %+v", got, err, r)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, line string }{
		{"bad time", "yesterday,a"},
		{"no time", ",a"},
		{"unterminated quote", `2026-01-02T03:04:05.678Z,"abc`},
		{"text after closing quote", `2026-01-02T03:04:05.678Z,"abc"d,`},
		{"quote inside a field", `2026-01-02T03:04:05.678Z,ab"c`},
		{"too many columns", "2026-01-02T03:04:05.678Z" + strings.Repeat(",", fieldCount)},
		{"negative bytes", "2026-01-02T03:04:05.678Z,,,,,,,,,,,,,-1"},
		{"count not a number", "2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,x"},
		{"count too large", "2026-01-02T03:04:05.678Z,,,,,,,,,,,,,0,99999999999999999999"},
		{"line too long", "2026-01-02T03:04:05.678Z," + strings.Repeat("a", maxLine)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader("#Fields: " + Fields + "\r\n" + tt.line + "\r\n"))
			var perr *ParseError
			if !errors.As(err, &perr) || !errors.Is(err, ErrSyntax) || perr.Line != 2 {
				t.Fatalf("err = %v, want a ParseError at line 2", err)
			}
		})
	}
}

// Files of the reference system's later layout (network-message-id after
// message-id, more columns at the end) read by column name.
func TestReaderOtherLayout(t *testing.T) {
	in := "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.006\r\n#Log-type: Message Tracking Log\r\n" +
		"#Date: 2026-01-02T00:00:00.000Z\r\n" +
		"#Fields: date-time,client-ip,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,schema-version\r\n" +
		"2026-01-02T03:04:05.678Z,192.0.2.7,SMTP,SEND,42,<m@x>,0f1e,a@x;b@x,15.01\r\n"
	rd := NewReader(strings.NewReader(in))
	r, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Time: t0, ClientIP: "192.0.2.7", Source: SourceSMTP, EventID: Send, InternalMessageID: "42",
		MessageID: "<m@x>", Recipients: []string{"a@x", "b@x"}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	if rd.Header["Software"] != "Microsoft Exchange Server" || rd.Header["Log-type"] != "Message Tracking Log" {
		t.Fatalf("header %v", rd.Header)
	}
}
