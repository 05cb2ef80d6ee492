package smtptest

import (
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestSmoke(t *testing.T) {
	sink := NewSink(t, RequireTLS(), RequireAuth("user", "pass"))
	c, err := smtp.DialStartTLS(sink.Addr(), sink.PKI().ClientTLSConfig("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient("user", "pass")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@b.example", []string{"c@d.example"}, strings.NewReader("Subject: hi\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	t.Log(sink.Dialogue())
	t.Logf("%+v", sink.Messages())
}
