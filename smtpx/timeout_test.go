package smtpx_test

import (
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// A client idle in the middle of a body gets 451 4.4.2 and the connection
// is closed: were it kept open, the rest of a late body would be read as
// commands (a smuggled RCPT or DATA).
func TestIdleBodyClosesConnection(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.ConnectionInactivityTimeout = time.Second })
	tr := plainTransport(t, transport.WithReceiveConnector(rc))
	r, _ := smtptest.Dial(t, tr.Addr(rc.Name()).String())
	for _, s := range []step{{"EHLO client.example", "250"}, {"MAIL FROM:<a@fabrikam.com>", "250"},
		{"RCPT TO:<bob@contoso.com>", "250"}, {"DATA", "354"}} {
		if got := r.Cmd(s.send); got[:3] != s.want[:3] {
			t.Fatalf("%s: %q", s.send, got)
		}
	}
	if got := r.Send("Subject: half\r\n"); got != "451 4.4.2 Connection dropped during message transfer" {
		t.Errorf("idle body: %q", got)
	}
	if r.Wait(quietWait) == smtptest.StateData {
		t.Error("connection left open after a body timeout")
	}
}
