package wire_test

import (
	"math"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

const allExt = wire.ExtSize | wire.Ext8BitMIME | wire.ExtBinaryMIME | wire.ExtSMTPUTF8 |
	wire.ExtDSN | wire.ExtAuth | wire.ExtRequireTLS

// mailOf is a Mail with only From set, as ParseMail returns it for a
// command without parameters.
func mailOf(from string) wire.Mail { return wire.Mail{From: from, Size: -1} }

func TestParseMail(t *testing.T) {
	with := func(m wire.Mail, f func(*wire.Mail)) wire.Mail { f(&m); return m }
	ab := mailOf("a@b")
	tests := []struct {
		arg     string
		offered wire.Ext
		want    wire.Mail
		code    int    // 0: success
		enh     string // enhanced code of the error
	}{
		// The keyword and the path.
		{arg: "FROM:<a@b>", want: ab},
		{arg: "from:<a@b>", want: ab},
		{arg: "From:<a@b>", want: ab},
		{arg: "FROM: <a@b>", want: ab},
		{arg: "FROM:   <a@b>", want: ab},
		{arg: "FROM:a@b", want: ab},
		{arg: "FROM:<>", want: mailOf("")},
		{arg: "FROM: <>", want: mailOf("")},
		{arg: "FROM:<@a,@b:u@c>", want: mailOf("u@c")},
		{arg: `FROM:<"a b"@c>`, want: mailOf("a b@c")},
		{arg: `FROM:<"a\"b\\c"@d>`, want: mailOf(`a"b\c@d`)},
		{arg: "FROM:<@a:>", code: 501, enh: "5.1.7"}, // not the null path
		{arg: `FROM:<"">`, code: 501, enh: "5.1.7"},
		{arg: "FROM:", code: 501, enh: "5.1.7"},
		{arg: "FROM: ", code: 501, enh: "5.1.7"},
		{arg: "FROM:<a@b", code: 501, enh: "5.1.7"},
		{arg: `FROM:<"a b@c>`, code: 501, enh: "5.1.7"},
		{arg: "FROM:<a@b>SIZE=1", code: 501, enh: "5.1.7"},
		{arg: "FROM :<a@b>", code: 501, enh: "5.5.2"},
		{arg: "FROM<a@b>", code: 501, enh: "5.5.2"},
		{arg: "FROM <a@b>", code: 501, enh: "5.5.2"},
		{arg: "TO:<a@b>", code: 501, enh: "5.5.2"},
		{arg: "", code: 501, enh: "5.5.2"},
		{arg: "FRO", code: 501, enh: "5.5.2"},

		// RFC 1870 SIZE.
		{arg: "FROM:<a@b> SIZE=0", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 0 })},
		{arg: "FROM:<a@b> SIZE=1", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 1 })},
		{arg: "FROM:<a@b> size=10240000", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 10240000 })},
		{arg: "FROM:<a@b> SIZE=000123", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 123 })},
		{arg: "FROM:<a@b> SIZE=999999999999999999", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 999999999999999999 })},
		{arg: "FROM:<a@b> SIZE=9223372036854775807", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = math.MaxInt64 })},
		// size-value = 1*20DIGIT: values past int64 are valid and saturate,
		// so that the caller's limit check answers 552, not 501.
		{arg: "FROM:<a@b> SIZE=9223372036854775808", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = math.MaxInt64 })},
		{arg: "FROM:<a@b> SIZE=99999999999999999999", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = math.MaxInt64 })},
		{arg: "FROM:<a@b> SIZE=00000000000000000001", offered: wire.ExtSize, want: with(ab, func(m *wire.Mail) { m.Size = 1 })},
		{arg: "FROM:<a@b> SIZE=100000000000000000000", offered: wire.ExtSize, code: 501, enh: "5.5.4"}, // 21 digits
		{arg: "FROM:<a@b> SIZE=-1", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=-0", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=+1", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1k", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=0x10", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1_000", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1e6", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=\uff11", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE==1", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1 SIZE=1", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1 size=2", offered: wire.ExtSize, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1", offered: allExt &^ wire.ExtSize, code: 555, enh: "5.5.4"},

		// RFC 6152 / RFC 3030 BODY.
		{arg: "FROM:<a@b> BODY=7BIT", offered: wire.Ext8BitMIME, want: with(ab, func(m *wire.Mail) { m.Body = wire.Body7Bit })},
		{arg: "FROM:<a@b> BODY=8BITMIME", offered: wire.Ext8BitMIME, want: with(ab, func(m *wire.Mail) { m.Body = wire.Body8BitMIME })},
		{arg: "FROM:<a@b> body=8bitmime", offered: wire.Ext8BitMIME, want: with(ab, func(m *wire.Mail) { m.Body = wire.Body8BitMIME })},
		{arg: "FROM:<a@b> BODY=BINARYMIME", offered: wire.ExtBinaryMIME, want: with(ab, func(m *wire.Mail) { m.Body = wire.BodyBinaryMIME })},
		{arg: "FROM:<a@b> BODY=7bit", offered: wire.ExtBinaryMIME, want: with(ab, func(m *wire.Mail) { m.Body = wire.Body7Bit })},
		{arg: "FROM:<a@b> BODY=BINARYMIME", offered: wire.Ext8BitMIME, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> BODY=8BITMIME", offered: wire.ExtBinaryMIME, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> BODY=9BIT", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> BODY=", offered: allExt, code: 501, enh: "5.5.4"}, // a syntax error, not an unknown type
		{arg: "FROM:<a@b> BODY", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> BODY=7BIT BODY=8BITMIME", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> BODY=7BIT", offered: allExt &^ (wire.Ext8BitMIME | wire.ExtBinaryMIME), code: 555, enh: "5.5.4"},

		// RFC 6531 SMTPUTF8, RFC 8689 REQUIRETLS.
		{arg: "FROM:<jörg@b> SMTPUTF8", offered: wire.ExtSMTPUTF8, want: with(mailOf("jörg@b"), func(m *wire.Mail) { m.SMTPUTF8 = true })},
		{arg: "FROM:<a@b> smtputf8", offered: wire.ExtSMTPUTF8, want: with(ab, func(m *wire.Mail) { m.SMTPUTF8 = true })},
		{arg: "FROM:<a@b> SMTPUTF8=yes", offered: wire.ExtSMTPUTF8, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SMTPUTF8=", offered: wire.ExtSMTPUTF8, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SMTPUTF8 SMTPUTF8", offered: wire.ExtSMTPUTF8, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SMTPUTF8", offered: allExt &^ wire.ExtSMTPUTF8, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> REQUIRETLS", offered: wire.ExtRequireTLS, want: with(ab, func(m *wire.Mail) { m.RequireTLS = true })},
		{arg: "FROM:<a@b> RequireTLS", offered: wire.ExtRequireTLS, want: with(ab, func(m *wire.Mail) { m.RequireTLS = true })},
		{arg: "FROM:<a@b> REQUIRETLS=1", offered: wire.ExtRequireTLS, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> REQUIRETLS REQUIRETLS", offered: wire.ExtRequireTLS, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> REQUIRETLS", offered: allExt &^ wire.ExtRequireTLS, code: 555, enh: "5.5.4"},

		// RFC 3461 RET, ENVID.
		{arg: "FROM:<a@b> RET=FULL", offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.Ret = "FULL" })},
		{arg: "FROM:<a@b> ret=hdrs", offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.Ret = "HDRS" })},
		{arg: "FROM:<a@b> RET=BOTH", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> RET=", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> RET", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> RET=FULL RET=FULL", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> RET=FULL", offered: allExt &^ wire.ExtDSN, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=QQ314159", offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.EnvID = "QQ314159" })},
		{arg: "FROM:<a@b> envid=a+2Bb+3Dc", offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.EnvID = "a+b=c" })},
		{arg: "FROM:<a@b> ENVID=a+20b", offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.EnvID = "a b" })},
		{arg: "FROM:<a@b> ENVID=", offered: wire.ExtDSN, want: ab},
		{arg: "FROM:<a@b> ENVID=" + strings.Repeat("x", 100), offered: wire.ExtDSN, want: with(ab, func(m *wire.Mail) { m.EnvID = strings.Repeat("x", 100) })},
		{arg: "FROM:<a@b> ENVID=" + strings.Repeat("x", 101), offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=" + strings.Repeat("+2B", 34), offered: wire.ExtDSN, code: 501, enh: "5.5.4"}, // 102 encoded
		{arg: "FROM:<a@b> ENVID=a+2bb", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},                        // lower-case hex
		{arg: "FROM:<a@b> ENVID=a+2", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a+", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a=b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a\x00", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a+0D+0AX-Injected:+20yes", offered: wire.ExtDSN, code: 501, enh: "5.5.4"}, // decodes to CR LF
		{arg: "FROM:<a@b> ENVID=a+00", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a ENVID=b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> ENVID=a", offered: allExt &^ wire.ExtDSN, code: 555, enh: "5.5.4"},

		// RFC 4954 AUTH.
		{arg: "FROM:<a@b> AUTH=<>", offered: wire.ExtAuth, want: with(ab, func(m *wire.Mail) { m.Auth = "<>" })},
		{arg: "FROM:<a@b> auth=e+3Dmc2@example.com", offered: wire.ExtAuth, want: with(ab, func(m *wire.Mail) { m.Auth = "e=mc2@example.com" })},
		{arg: "FROM:<a@b> AUTH=", offered: wire.ExtAuth, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> AUTH", offered: wire.ExtAuth, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> AUTH=a+0a", offered: wire.ExtAuth, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> AUTH=a+0Ab", offered: wire.ExtAuth, code: 501, enh: "5.5.4"}, // decodes to LF
		{arg: "FROM:<a@b> AUTH=<> AUTH=<>", offered: wire.ExtAuth, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> AUTH=<>", offered: allExt &^ wire.ExtAuth, code: 555, enh: "5.5.4"},

		// Parameter lists.
		{arg: "FROM:<a@b> SIZE=100 BODY=8BITMIME SMTPUTF8 REQUIRETLS RET=HDRS ENVID=id+2B1 AUTH=<>", offered: allExt,
			want: wire.Mail{From: "a@b", Size: 100, Body: wire.Body8BitMIME, SMTPUTF8: true, RequireTLS: true, Ret: "HDRS", EnvID: "id+1", Auth: "<>"}},
		{arg: "FROM:<> auth=<> envid=x ret=full requiretls smtputf8 body=binarymime size=7", offered: allExt,
			want: wire.Mail{Size: 7, Body: wire.BodyBinaryMIME, SMTPUTF8: true, RequireTLS: true, Ret: "FULL", EnvID: "x", Auth: "<>"}},
		{arg: "FROM:<a@b>   SIZE=1    BODY=7BIT  ", offered: allExt, want: with(ab, func(m *wire.Mail) { m.Size, m.Body = 1, wire.Body7Bit })},
		{arg: "FROM:a@b SIZE=1", offered: allExt, want: with(ab, func(m *wire.Mail) { m.Size = 1 })},
		{arg: "FROM:<a@b> ", offered: allExt, want: ab},
		{arg: "FROM:<a@b> FOO=bar", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> X-FOO", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1 FOO", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> NOTIFY=NEVER", offered: allExt, code: 555, enh: "5.5.4"}, // a RCPT parameter
		{arg: "FROM:<a@b> ORCPT=rfc822;a@b", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "FROM:<a@b> =x", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> -X=1", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SI_ZE=1", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE\x00=1", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1\r", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SMTPUTF8\r\nRCPT", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> SIZE=1\tBODY=7BIT", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "FROM:<a@b> X-1-=2", offered: allExt, code: 555, enh: "5.5.4"}, // a valid keyword, unknown
	}
	for _, tt := range tests {
		got, err := wire.ParseMail([]byte(tt.arg), tt.offered)
		if tt.code != 0 {
			if err == nil {
				t.Errorf("ParseMail(%q, %b) = %+v; want error %d", tt.arg, tt.offered, got, tt.code)
				continue
			}
			checkReply(t, "ParseMail("+tt.arg+")", err, tt.code, tt.enh)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMail(%q, %b) = %+v, %v; want %+v", tt.arg, tt.offered, got, err, tt.want)
		}
	}
}

func TestParseRcpt(t *testing.T) {
	tests := []struct {
		arg     string
		offered wire.Ext
		want    wire.Rcpt
		code    int
		enh     string
	}{
		{arg: "TO:<a@b>", want: wire.Rcpt{To: "a@b"}},
		{arg: "to:<a@b>", want: wire.Rcpt{To: "a@b"}},
		{arg: "To: <a@b>", want: wire.Rcpt{To: "a@b"}},
		{arg: "TO:a@b", want: wire.Rcpt{To: "a@b"}},
		{arg: "TO:<Postmaster>", want: wire.Rcpt{To: "Postmaster"}},
		{arg: "TO:<@a,@b:u@c>", want: wire.Rcpt{To: "u@c"}},
		{arg: `TO:<"a b"@c>`, want: wire.Rcpt{To: "a b@c"}},
		{arg: "TO:<>", code: 501, enh: "5.1.3"},
		{arg: "TO:<@a:>", code: 501, enh: "5.1.3"},
		{arg: "TO:", code: 501, enh: "5.1.3"},
		{arg: "TO:<a@b", code: 501, enh: "5.1.3"},
		{arg: "TO <a@b>", code: 501, enh: "5.5.2"},
		{arg: "TO<a@b>", code: 501, enh: "5.5.2"},
		{arg: "FROM:<a@b>", code: 501, enh: "5.5.2"},
		{arg: "", code: 501, enh: "5.5.2"},

		// RFC 3461 NOTIFY.
		{arg: "TO:<a@b> NOTIFY=NEVER", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", Notify: "NEVER"}},
		{arg: "TO:<a@b> notify=never", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", Notify: "NEVER"}},
		{arg: "TO:<a@b> NOTIFY=SUCCESS", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", Notify: "SUCCESS"}},
		{arg: "TO:<a@b> NOTIFY=SUCCESS,FAILURE,DELAY", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", Notify: "SUCCESS,FAILURE,DELAY"}},
		{arg: "TO:<a@b> NOTIFY=delay,Failure", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", Notify: "DELAY,FAILURE"}},
		{arg: "TO:<a@b> NOTIFY=NEVER,SUCCESS", offered: wire.ExtDSN, code: 501, enh: "5.5.4"}, // NEVER only alone
		{arg: "TO:<a@b> NOTIFY=FAILURE,NEVER", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=SUCCESS,", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=,SUCCESS", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=SUCCESS,,DELAY", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=ALWAYS", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NOTIFY=NEVER", offered: allExt &^ wire.ExtDSN, code: 555, enh: "5.5.4"},

		// RFC 3461 ORCPT.
		{arg: "TO:<a+b@c> ORCPT=rfc822;a+2Bb@c", offered: wire.ExtDSN, want: wire.Rcpt{To: "a+b@c", ORCPTType: "rfc822", ORCPT: "a+b@c"}},
		{arg: "TO:<a@b> orcpt=RFC822;a@b", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "RFC822", ORCPT: "a@b"}},
		{arg: "TO:<a@b> ORCPT=x-foo;a;b", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "x-foo", ORCPT: "a;b"}},
		// RFC 6533 utf-8 addresses: "\x{HEX}" escapes, raw UTF-8 only with SMTPUTF8.
		{arg: `TO:<a@b> ORCPT=utf-8;j\x{F6}rg@example.com`, offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "utf-8", ORCPT: "jörg@example.com"}},
		{arg: `TO:<a@b> ORCPT=utf-8;a\x{2B}b\x{3d}c@d`, offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "utf-8", ORCPT: "a+b=c@d"}},
		{arg: "TO:<a@b> ORCPT=utf-8;jörg@example.com", offered: wire.ExtDSN | wire.ExtSMTPUTF8, want: wire.Rcpt{To: "a@b", ORCPTType: "utf-8", ORCPT: "jörg@example.com"}},
		{arg: "TO:<a@b> ORCPT=utf-8;jörg@example.com", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: `TO:<a@b> ORCPT=utf-8;a\x{0D}\x{0A}b@c`, offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: `TO:<a@b> ORCPT=utf-8;a+b@c`, offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: `TO:<a@b> ORCPT=utf-8;a\x{D800}b@c`, offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: `TO:<a@b> ORCPT=utf-8;a\x{41`, offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;+22a+20b+22@c", offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "rfc822", ORCPT: `"a b"@c`}},
		{arg: "TO:<a@b> ORCPT=rfc822;" + strings.Repeat("x", 493), offered: wire.ExtDSN, want: wire.Rcpt{To: "a@b", ORCPTType: "rfc822", ORCPT: strings.Repeat("x", 493)}}, // 500
		{arg: "TO:<a@b> ORCPT=rfc822;" + strings.Repeat("x", 494), offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;a+2bb@c", offered: wire.ExtDSN, code: 501, enh: "5.5.4"}, // lower-case hex
		{arg: "TO:<a@b> ORCPT=rfc822;a+2", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;a+0D+0Ab", offered: wire.ExtDSN, code: 501, enh: "5.5.4"}, // decodes to CR LF
		{arg: "TO:<a@b> ORCPT=rfc822", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=;a@b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc@822;a@b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc.822;a@b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;a=b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;a@b ORCPT=rfc822;a@b", offered: wire.ExtDSN, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> ORCPT=rfc822;a@b", offered: allExt &^ wire.ExtDSN, code: 555, enh: "5.5.4"},

		{arg: "TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b", offered: allExt,
			want: wire.Rcpt{To: "a@b", Notify: "SUCCESS,FAILURE", ORCPTType: "rfc822", ORCPT: "a@b"}},
		{arg: "TO:<a@b>  ORCPT=rfc822;a@b   NOTIFY=NEVER ", offered: allExt,
			want: wire.Rcpt{To: "a@b", Notify: "NEVER", ORCPTType: "rfc822", ORCPT: "a@b"}},
		{arg: "TO:<a@b> SIZE=1", offered: allExt, code: 555, enh: "5.5.4"}, // a MAIL parameter
		{arg: "TO:<a@b> SMTPUTF8", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "TO:<a@b> FOO", offered: allExt, code: 555, enh: "5.5.4"},
		{arg: "TO:<a@b> =", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b> NO+TIFY=NEVER", offered: allExt, code: 501, enh: "5.5.4"},
		{arg: "TO:<a@b>NOTIFY=NEVER", offered: allExt, code: 501, enh: "5.1.3"},
	}
	for _, tt := range tests {
		got, err := wire.ParseRcpt([]byte(tt.arg), tt.offered)
		if tt.code != 0 {
			if err == nil {
				t.Errorf("ParseRcpt(%q, %b) = %+v; want error %d", tt.arg, tt.offered, got, tt.code)
				continue
			}
			checkReply(t, "ParseRcpt("+tt.arg+")", err, tt.code, tt.enh)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRcpt(%q, %b) = %+v, %v; want %+v", tt.arg, tt.offered, got, err, tt.want)
		}
	}
}

// TestParsedValuesDoNotAlias checks that the strings ParseMail and
// ParseRcpt return are copies: the command line is in the bufio.Reader's
// buffer and is overwritten by the next read.
func TestParsedValuesDoNotAlias(t *testing.T) {
	arg := []byte("FROM:<a@b> ENVID=x AUTH=<>")
	m, err := wire.ParseMail(arg, allExt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range arg {
		arg[i] = '#'
	}
	if m.From != "a@b" || m.EnvID != "x" || m.Auth != "<>" {
		t.Errorf("ParseMail result changed with its input: %+v", m)
	}
	arg = []byte("TO:<c@d> NOTIFY=never ORCPT=rfc822;c@d")
	r, err := wire.ParseRcpt(arg, allExt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range arg {
		arg[i] = '#'
	}
	if r.To != "c@d" || r.Notify != "NEVER" || r.ORCPTType != "rfc822" || r.ORCPT != "c@d" {
		t.Errorf("ParseRcpt result changed with its input: %+v", r)
	}
}
