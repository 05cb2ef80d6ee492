package wire_test

import (
	"errors"
	"testing"

	"github.com/hubedge/hubedge/smtpx/internal/wire"
)

const allOffered = wire.ExtSize | wire.Ext8BitMIME | wire.ExtBinaryMIME | wire.ExtSMTPUTF8 | wire.ExtDSN | wire.ExtAuth | wire.ExtRequireTLS

func TestAppendMail(t *testing.T) {
	tests := []struct {
		m       wire.Mail
		offered wire.Ext
		want    string
		err     error
	}{
		{wire.Mail{From: "a@b", Size: -1}, allOffered, "MAIL FROM:<a@b>\r\n", nil},
		{wire.Mail{Size: 0}, allOffered, "MAIL FROM:<> SIZE=0\r\n", nil},
		{wire.Mail{From: "a@b", Size: 42, Body: wire.Body8BitMIME, SMTPUTF8: true, RequireTLS: true, Ret: "HDRS", EnvID: "id+1 =x", Auth: "<>"},
			allOffered, "MAIL FROM:<a@b> BODY=8BITMIME SIZE=42 REQUIRETLS SMTPUTF8 RET=HDRS ENVID=id+2B1+20+3Dx AUTH=<>\r\n", nil},
		{wire.Mail{From: "a@b", Size: 42, Body: wire.Body8BitMIME, SMTPUTF8: true, RequireTLS: true, Ret: "HDRS", EnvID: "id", Auth: "<>"},
			0, "MAIL FROM:<a@b>\r\n", nil},
		{wire.Mail{From: "a@b", Size: -1, Body: wire.Body7Bit}, wire.ExtBinaryMIME, "MAIL FROM:<a@b> BODY=7BIT\r\n", nil},
		{wire.Mail{From: "a@b", Size: -1, Body: wire.BodyBinaryMIME}, wire.Ext8BitMIME, "MAIL FROM:<a@b>\r\n", nil},
		{wire.Mail{From: "a@b>\r\nRCPT TO:<c@d", Size: -1}, allOffered, "", wire.ErrLineBreak},
	}
	for _, tt := range tests {
		got, err := wire.AppendMail(nil, tt.m, tt.offered)
		if string(got) != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("AppendMail(%+v, %b) = %q, %v; want %q, %v", tt.m, tt.offered, got, err, tt.want, tt.err)
		}
	}
}

func TestAppendRcpt(t *testing.T) {
	tests := []struct {
		r       wire.Rcpt
		offered wire.Ext
		want    string
		err     error
	}{
		{wire.Rcpt{To: "a@b"}, allOffered, "RCPT TO:<a@b>\r\n", nil},
		{wire.Rcpt{To: "a@b", Notify: "FAILURE,DELAY", ORCPTType: "rfc822", ORCPT: "a+b@c"}, allOffered,
			"RCPT TO:<a@b> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bb@c\r\n", nil},
		{wire.Rcpt{To: "a@b", Notify: "NEVER", ORCPTType: "rfc822", ORCPT: "a@c"}, allOffered &^ wire.ExtDSN, "RCPT TO:<a@b>\r\n", nil},
		{wire.Rcpt{To: "a@b", ORCPTType: "utf-8", ORCPT: "jürgen+x\\y@c"}, wire.ExtDSN,
			`RCPT TO:<a@b> ORCPT=utf-8;j\x{FC}rgen\x{2B}x\y@c` + "\r\n", nil},
		{wire.Rcpt{To: "a@b", ORCPTType: "UTF-8", ORCPT: "jürgen 😀@c\xff"}, wire.ExtDSN | wire.ExtSMTPUTF8,
			`RCPT TO:<a@b> ORCPT=UTF-8;jürgen\x{20}😀@c\x{FFFD}` + "\r\n", nil},
		{wire.Rcpt{To: "a@b", ORCPTType: "utf-8", ORCPT: "\t😀"}, wire.ExtDSN, `RCPT TO:<a@b> ORCPT=utf-8;\x{09}\x{1F600}` + "\r\n", nil},
		{wire.Rcpt{To: "a@b\nDATA"}, allOffered, "", wire.ErrLineBreak},
		{wire.Rcpt{To: "a@b", ORCPTType: "rfc822\r\n", ORCPT: "x"}, allOffered, "", wire.ErrLineBreak},
	}
	for _, tt := range tests {
		got, err := wire.AppendRcpt(nil, tt.r, tt.offered)
		if string(got) != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("AppendRcpt(%+v, %b) = %q, %v; want %q, %v", tt.r, tt.offered, got, err, tt.want, tt.err)
		}
	}
}

// A client writes its commands into its writer's free space: nothing is
// allocated.
func TestAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	m := wire.Mail{From: "alice@contoso.com", Size: 4096, Body: wire.Body8BitMIME, EnvID: "QQ314159"}
	r := wire.Rcpt{To: "bob@fabrikam.com", Notify: "FAILURE", ORCPTType: "rfc822", ORCPT: "bob@fabrikam.com"}
	n := testing.AllocsPerRun(100, func() {
		b, _ := wire.AppendMail(buf[:0], m, allOffered)
		_, _ = wire.AppendRcpt(b, r, allOffered)
	})
	if n != 0 {
		t.Errorf("AppendMail and AppendRcpt allocate %v times", n)
	}
}
