package smtpx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// expect sends each step (see smtptest.Step; "RAW:" sends bytes as they
// are) and stops the test at the first reply without its prefix.
func expect(t *testing.T, r *smtptest.Client, steps ...smtptest.Step) {
	t.Helper()
	if err := r.Expect(steps...); err != nil {
		t.Fatal(err)
	}
}

// RSET may abort a BDAT transfer (RFC 3030 §2): the transfer's goroutine
// must neither race the next transaction nor close the connection, and
// nothing is enqueued.
func TestRsetAbortsBDAT(t *testing.T) {
	e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r, smtptest.Step{"EHLO client.example", "250"})
	chunk := "Subject: aborted\r\n\r\nsome of the body\r\n"
	for i := range 20 {
		expect(t, r,
			smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
			smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
			smtptest.Step{fmt.Sprintf("RAW:BDAT %d\r\n%s", len(chunk), chunk), "250 2.0.0"},
			smtptest.Step{"RSET", "250"},
			smtptest.Step{"MAIL FROM:<b@fabrikam.com>", "250"},
			smtptest.Step{"NOOP", "250"},
			smtptest.Step{"RSET", "250"},
		)
		if t.Failed() {
			t.Fatalf("round %d", i)
		}
	}
	expect(t, r,
		smtptest.Step{"MAIL FROM:<c@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
	)
	if got := r.Data(message("Subject: kept")); !strings.HasPrefix(got, "250 2.6.0") {
		t.Fatal(got)
	}
	if d := e.local.Wait(t); d.Env.From != "c@fabrikam.com" {
		t.Fatalf("delivered from %q: an aborted transfer was enqueued", d.Env.From)
	}
}

// MAIL FROM gets the local-part checks RCPT TO has (RFC 5321 §4.5.3.1).
func TestMailFromLocalPartChecked(t *testing.T) {
	label := strings.Repeat("d", 60)
	long := strings.Join([]string{label, label, label}, ".") + ".fabrikam.com" // 196 octets
	tests := []struct{ from, want string }{
		{strings.Repeat("a", 65) + "@fabrikam.com", "501 5.1.7"},
		{"\"a\x01b\"@fabrikam.com", "501 5.1.7"},
		{strings.Repeat("a", 60) + "@" + long, "501 5.1.7"},
		{strings.Repeat("a", 64) + "@fabrikam.com", "250"},
		{strings.Repeat("a", 50) + "@" + long, "250"},
	}
	for _, tc := range tests {
		e := start(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)))
		r, _ := smtptest.Dial(t, e.firstAddr(t))
		expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<" + tc.from + ">", tc.want})
	}
}

// blockingDirectory answers only when its context ends.
type blockingDirectory struct{}

func (blockingDirectory) Lookup(ctx context.Context, _ string) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// A directory that hangs must not hold the RCPT reply forever: the lookup
// is bounded (here by the connector's inactivity timeout) and answered 451.
func TestDirectoryLookupTimesOut(t *testing.T) {
	rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.ConnectionInactivityTimeout = time.Second })
	e := start(t, transport.WithReceiveConnector(rc), transport.WithDirectory(blockingDirectory{}))
	r, _ := smtptest.Dial(t, e.firstAddr(t))
	expect(t, r,
		smtptest.Step{"EHLO client.example", "250"},
		smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "451 4.3.0"},
		smtptest.Step{"NOOP", "250"},
	)
}
