package wire_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/dsn"
	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

// FuzzDotReader compares DotReader with refDot on arbitrary streams, bufio
// sizes, limits, read sizes and ways of feeding the bufio.Reader.
func FuzzDotReader(f *testing.F) {
	for _, tc := range dotCases {
		max := tc.max
		if max == 0 {
			max = 1000
		}
		f.Add([]byte(tc.in), uint16(0), uint16(max), uint64(0), uint8(0))
		f.Add([]byte(tc.in), uint16(1), uint16(max), uint64(1), uint8(1))
	}
	_, big := benchMessage(4 << 10)
	f.Add([]byte(big), uint16(100), uint16(78), uint64(0x9e3779b97f4a7c15), uint8(2))
	f.Add([]byte("a\r\n.\r\n"), uint16(0), uint16(3), uint64(7), uint8(3))
	f.Add([]byte("0123456789abcde\r\n.\r\n"), uint16(0), uint16(18), uint64(3), uint8(0))
	f.Add([]byte(".0123456789abcd\r\n.\r\nQUIT\r\n"), uint16(0), uint16(17), uint64(3), uint8(1))
	f.Add([]byte("x\r\n\n.\r\nMAIL FROM:<e@x>\r\n\r\n.\r\n"), uint16(5), uint16(1000), uint64(11), uint8(2))

	f.Fuzz(func(t *testing.T, in []byte, bufSize, maxRaw uint16, seed uint64, mode uint8) {
		size := 16 + int(bufSize%1024)
		max := 1 + int(maxRaw%1200)
		want, consumed, werr := refDot(in, max)

		rd := readers[int(mode)%len(readers)]
		br := bufio.NewReaderSize(rd.wrap(bytes.NewReader(in)), size)
		dr := wire.NewDotReader(br, max)
		var got []byte
		buf := make([]byte, 4096)
		var err error
		for calls := 0; ; calls++ {
			if calls > 4*len(in)+10 {
				t.Fatalf("no end after %d Reads", calls)
			}
			seed = seed*6364136223846793005 + 1442695040888963407
			k := 1 + int(seed>>33)%64
			if seed>>60 == 0 {
				k = len(buf)
			}
			var n int
			n, err = dr.Read(buf[:k])
			if n < 0 || n > k || (n == 0 && err == nil) || (n > 0 && err != nil) {
				t.Fatalf("Read(%d octets) = %d, %v", k, n, err)
			}
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		where := fmt.Sprintf("in %q, bufio %d, max %d, %s", in, size, max, rd.name)
		if !errors.Is(err, werr) {
			t.Fatalf("%s: err = %v, model %v (message %q, model %q)", where, err, werr, got, want)
		}
		if n, err2 := dr.Read(buf); n != 0 || err2 != err {
			t.Fatalf("%s: Read after %v = %d, %v", where, err, n, err2)
		}
		if werr == io.EOF {
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: message %q, model %q", where, got, want)
			}
			rest, _ := io.ReadAll(br)
			if !bytes.Equal(rest, in[consumed:]) {
				t.Fatalf("%s: left %q unread, model %q", where, rest, in[consumed:])
			}
			return
		}
		// A failed message is cut short somewhere in its last line.
		if !bytes.HasPrefix(want, got) || bytes.IndexByte(want[len(got):], '\n') >= 0 {
			t.Fatalf("%s: failed (%v) with message %q, model %q", where, err, got, want)
		}
	})
}

// checkWireError checks that err is a *dsn.Reply with a 5xx code, as the
// parsers promise.
func checkWireError(t *testing.T, what string, err error) {
	t.Helper()
	var r *dsn.Reply
	if !errors.As(err, &r) {
		t.Fatalf("%s: error %v (%T) is not a *dsn.Reply", what, err, err)
	}
	if r.Code < 500 || r.Code > 599 || r.Status.Class != 5 || r.Text == "" || strings.ContainsAny(r.Text, "\r\n") {
		t.Fatalf("%s: bad reply %+v", what, r)
	}
}

// noControls reports whether s holds no ASCII control but HTAB: no CR, LF
// or NUL can reach a header or a log line from a parsed value.
func noControls(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// simpleMailbox reports whether s can be written back between angle
// brackets as it is.
func simpleMailbox(s string) bool {
	if s == "" || s[0] == '@' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c <= ' ' || c == 0x7f || strings.IndexByte(`<>"\`, c) >= 0 {
			return false
		}
	}
	return true
}

func upperASCII(b []byte) []byte {
	u := bytes.Clone(b)
	for i, c := range u {
		if 'a' <= c && c <= 'z' {
			u[i] = c - ('a' - 'A')
		}
	}
	return u
}

var commandSeeds = []string{
	"HELO example.org", "ehlo example.org", "MAIL FROM:<a@b> SIZE=10", "mail from: <a@b>",
	"RCPT TO:<a@b> NOTIFY=NEVER", "DATA", "DATA ", "BDAT 100 LAST", "RSET", "NOOP x", "QUIT",
	"VRFY a", "EXPN b", "HELP", "STARTTLS", "AUTH PLAIN AGFAAGI=", "", " ", "X", "FOO bar",
	" MAIL FROM:<a@b>", "MAILFROM:<a@b>", "MAIL\tFROM:<a@b>", "DATA\r", "STARTTLSX", "\xcdAIL x",
	"GET / HTTP/1.1", "QUIT\x00", "   ", "MAIL   FROM:<a@b>   ",
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range commandSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		verb, arg := wire.ParseCommand(line)
		if !bytes.Equal(line, orig) {
			t.Fatalf("ParseCommand changed its input")
		}
		word, after, _ := bytes.Cut(line, []byte{' '})
		if want := bytes.Trim(after, " "); !bytes.Equal(arg, want) {
			t.Fatalf("ParseCommand(%q) arg = %q, want %q", line, arg, want)
		}
		if len(arg) > 0 && (arg[0] == ' ' || arg[len(arg)-1] == ' ') {
			t.Fatalf("ParseCommand(%q) arg %q is not trimmed", line, arg)
		}
		if verb != wire.Unknown && !bytes.Equal(upperASCII(word), []byte(verb.String())) {
			t.Fatalf("ParseCommand(%q) = %v for the word %q", line, verb, word)
		}
		if verb == wire.Unknown {
			for v := wire.HELO; v <= wire.AUTH; v++ {
				if bytes.Equal(upperASCII(word), []byte(v.String())) {
					t.Fatalf("ParseCommand(%q) = UNKNOWN, want %v", line, v)
				}
			}
		}
		if v2, _ := wire.ParseCommand(upperASCII(line)); v2 != verb {
			t.Fatalf("ParseCommand is case-sensitive: %q is %v, %q is %v", line, verb, upperASCII(line), v2)
		}
	})
}

var pathSeeds = []string{
	"<a@b>", "<a@b> SIZE=1", "<>", "<> x", "<Postmaster>", "<@a,@b:u@c>", `<@a:"x y"@c>`,
	`<"a b"@c>`, `<"a\"b"@c>`, `<"a\\b"@c>`, `<"">`, `<""@c>`, `<"a b@c>`, `<"a\`, "<@a:>",
	"<a@b", "<a@b>x", "a@b", "a@b SIZE=1", " a@b", "", "<", "<\"a\r\"@c>", "<a@b\r\nRCPT>",
	"<jörg@bücher.example>", "<user@[IPv6:2001:db8::1]>", "<@a>:u@c", "<\"a\x00\"@c>",
}

func FuzzParsePath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		mailbox, rest, err := wire.ParsePath(s)
		if err != nil {
			checkWireError(t, fmt.Sprintf("ParsePath(%q)", s), err)
			return
		}
		if !noControls(mailbox) {
			t.Fatalf("ParsePath(%q) mailbox %q holds a control", s, mailbox)
		}
		if !bytes.HasSuffix(s, rest) || len(rest) > 0 && rest[0] != ' ' {
			t.Fatalf("ParsePath(%q) rest %q", s, rest)
		}
		if mailbox == "" && !bytes.HasPrefix(s, []byte("<>")) {
			t.Fatalf("ParsePath(%q) = the null path", s)
		}
		if len(mailbox) > len(s) {
			t.Fatalf("ParsePath(%q) mailbox %q is longer than its input", s, mailbox)
		}
		if simpleMailbox(mailbox) {
			again := "<" + mailbox + ">" + string(rest)
			m2, r2, err := wire.ParsePath([]byte(again))
			if err != nil || m2 != mailbox || !bytes.Equal(r2, rest) {
				t.Fatalf("ParsePath(%q) = %q, %q; again as %q: %q, %q, %v", s, mailbox, rest, again, m2, r2, err)
			}
		}
	})
}

var mailSeeds = []string{
	"FROM:<a@b>", "from:<a@b>", "FROM: <a@b>", "FROM:<>", "FROM:<@a,@b:u@c>", `FROM:<"a b"@c>`,
	"FROM:<@a:>", "FROM:", "FROM :<a@b>", "FROM:<a@b>SIZE=1", "FROM:a@b SIZE=1",
	"FROM:<a@b> SIZE=0", "FROM:<a@b> SIZE=9223372036854775807", "FROM:<a@b> SIZE=99999999999999999999",
	"FROM:<a@b> SIZE=-0", "FROM:<a@b> SIZE=+1", "FROM:<a@b> SIZE=1 SIZE=1",
	"FROM:<a@b> BODY=8BITMIME", "FROM:<a@b> BODY=BINARYMIME", "FROM:<a@b> BODY=7bit", "FROM:<a@b> BODY",
	"FROM:<a@b> SMTPUTF8", "FROM:<a@b> SMTPUTF8=x", "FROM:<a@b> REQUIRETLS", "FROM:<a@b> RET=HDRS",
	"FROM:<a@b> ENVID=a+2Bb", "FROM:<a@b> ENVID=a+2bb", "FROM:<a@b> ENVID=+0D+0A", "FROM:<a@b> AUTH=<>",
	"FROM:<a@b> AUTH=a+0A", "FROM:<a@b> FOO=bar", "FROM:<a@b> =x", "FROM:<a@b> -X",
	"FROM:<a@b> SIZE=100 BODY=8BITMIME SMTPUTF8 REQUIRETLS RET=HDRS ENVID=id+2B1 AUTH=<>",
}

func FuzzParseMail(f *testing.F) {
	for _, s := range mailSeeds {
		f.Add([]byte(s), uint16(allExt))
		f.Add([]byte(s), uint16(0))
	}
	f.Add([]byte("FROM:<a@b> BODY=8BITMIME"), uint16(wire.ExtBinaryMIME))
	f.Fuzz(func(t *testing.T, arg []byte, off uint16) {
		offered := wire.Ext(off)
		m, err := wire.ParseMail(arg, offered)
		what := fmt.Sprintf("ParseMail(%q, %b)", arg, offered)
		if err != nil {
			checkWireError(t, what, err)
			return
		}
		switch {
		case !noControls(m.From) || !noControls(m.EnvID) || !noControls(m.Auth):
			t.Fatalf("%s = %+v: a control in a value", what, m)
		case m.Size < -1, m.Size != -1 && offered&wire.ExtSize == 0:
			t.Fatalf("%s: Size %d", what, m.Size)
		case m.Body == wire.Body7Bit && offered&(wire.Ext8BitMIME|wire.ExtBinaryMIME) == 0,
			m.Body == wire.Body8BitMIME && offered&wire.Ext8BitMIME == 0,
			m.Body == wire.BodyBinaryMIME && offered&wire.ExtBinaryMIME == 0,
			m.Body > wire.BodyBinaryMIME:
			t.Fatalf("%s: Body %d", what, m.Body)
		case m.SMTPUTF8 && offered&wire.ExtSMTPUTF8 == 0,
			m.RequireTLS && offered&wire.ExtRequireTLS == 0,
			(m.Ret != "" || m.EnvID != "") && offered&wire.ExtDSN == 0,
			m.Auth != "" && offered&wire.ExtAuth == 0:
			t.Fatalf("%s = %+v: a parameter not offered", what, m)
		case m.Ret != "" && m.Ret != "FULL" && m.Ret != "HDRS", len(m.EnvID) > 100:
			t.Fatalf("%s = %+v", what, m)
		}
		// Offering more changes nothing for a command that passed.
		if m2, err := wire.ParseMail(arg, offered|allExt); err != nil || m2 != m {
			t.Fatalf("%s = %+v, but with every extension %+v, %v", what, m, m2, err)
		}
		if m.From != "" && !simpleMailbox(m.From) {
			return
		}
		// Written out again, the command parses to the same.
		b, err := wire.AppendMail(nil, m, offered)
		if err != nil {
			t.Fatalf("%s = %+v: AppendMail: %v", what, m, err)
		}
		m3, err := wire.ParseMail(commandArg(t, b, "MAIL "), offered)
		if err != nil || m3 != m {
			t.Fatalf("%s = %+v; written as %q it parses to %+v, %v", what, m, b, m3, err)
		}
	})
}

// commandArg is the argument of a command line AppendMail or AppendRcpt
// wrote, which must start with verb and end in CR LF alone.
func commandArg(t *testing.T, line []byte, verb string) []byte {
	t.Helper()
	arg, ok := bytes.CutPrefix(line, []byte(verb))
	if arg, ok = bytes.CutSuffix(arg, []byte("\r\n")); !ok || bytes.ContainsAny(arg, "\r\n") {
		t.Fatalf("%q is not one %scommand line", line, verb)
	}
	return arg
}

var rcptSeeds = []string{
	"TO:<a@b>", "to:<a@b>", "TO: <a@b>", "TO:<>", "TO:<Postmaster>", "TO:<@a,@b:u@c>", `TO:<"a b"@c>`,
	"TO:<a@b> NOTIFY=NEVER", "TO:<a@b> NOTIFY=success,delay", "TO:<a@b> NOTIFY=NEVER,SUCCESS",
	"TO:<a@b> NOTIFY=", "TO:<a@b> NOTIFY=SUCCESS,,DELAY", "TO:<a+b@c> ORCPT=rfc822;a+2Bb@c",
	"TO:<a@b> ORCPT=rfc822;a+2bb@c", "TO:<a@b> ORCPT=rfc822;a+0D+0Ab", "TO:<a@b> ORCPT=;a",
	"TO:<a@b> ORCPT=x-foo;a;b", "TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b", "TO:<a@b> SIZE=1",
	"TO:<a@b>NOTIFY=NEVER", "TO:a@b NOTIFY=NEVER", "TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER",
}

func FuzzParseRcpt(f *testing.F) {
	for _, s := range rcptSeeds {
		f.Add([]byte(s), uint16(allExt))
		f.Add([]byte(s), uint16(0))
	}
	f.Fuzz(func(t *testing.T, arg []byte, off uint16) {
		offered := wire.Ext(off)
		r, err := wire.ParseRcpt(arg, offered)
		what := fmt.Sprintf("ParseRcpt(%q, %b)", arg, offered)
		if err != nil {
			checkWireError(t, what, err)
			return
		}
		switch {
		case r.To == "":
			t.Fatalf("%s: empty To", what)
		case !noControls(r.To) || !noControls(r.ORCPT) || !noControls(r.ORCPTType):
			t.Fatalf("%s = %+v: a control in a value", what, r)
		case (r.Notify != "" || r.ORCPT != "" || r.ORCPTType != "") && offered&wire.ExtDSN == 0:
			t.Fatalf("%s = %+v: a parameter not offered", what, r)
		case (r.ORCPT == "") != (r.ORCPTType == ""):
			t.Fatalf("%s = %+v: half an ORCPT", what, r)
		}
		if r.Notify != "" && r.Notify != "NEVER" {
			for w := range strings.SplitSeq(r.Notify, ",") {
				if w != "SUCCESS" && w != "FAILURE" && w != "DELAY" {
					t.Fatalf("%s: NOTIFY %q", what, r.Notify)
				}
			}
		}
		if r2, err := wire.ParseRcpt(arg, offered|allExt); err != nil || r2 != r {
			t.Fatalf("%s = %+v, but with every extension %+v, %v", what, r, r2, err)
		}
		if !simpleMailbox(r.To) {
			return
		}
		b, err := wire.AppendRcpt(nil, r, offered)
		if err != nil {
			t.Fatalf("%s = %+v: AppendRcpt: %v", what, r, err)
		}
		r3, err := wire.ParseRcpt(commandArg(t, b, "RCPT "), offered)
		if err != nil || r3 != r {
			t.Fatalf("%s = %+v; written as %q it parses to %+v, %v", what, r, b, r3, err)
		}
	})
}

// FuzzParseBDAT checks that what ParseBDAT accepts is a size and an
// optional LAST, and that writing them again parses to the same.
func FuzzParseBDAT(f *testing.F) {
	for _, s := range []string{"0", "4096 LAST", "12 last", " 1", "1 LAST x", "99999999999999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, arg []byte) {
		size, last, ok := wire.ParseBDAT(arg)
		if !ok {
			return
		}
		if size < 0 {
			t.Fatalf("ParseBDAT(%q) = size %d", arg, size)
		}
		again := fmt.Sprint(size)
		if last {
			again += " LAST"
		}
		if s, l, ok := wire.ParseBDAT([]byte(again)); !ok || s != size || l != last {
			t.Fatalf("ParseBDAT(%q) = %d %v, but %q gives %d %v %v", arg, size, last, again, s, l, ok)
		}
	})
}
