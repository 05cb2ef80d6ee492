package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// The receive-side header firewall removes every forbidden class from an
// anonymous message whatever its spelling, folding or position, and leaves
// the body byte for byte, checked on the copy that reached the Maildir.
func TestHeaderFirewallEndToEnd(t *testing.T) {
	md, err := local.NewMaildir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rc := smtptest.InternetConnector(t)
	tr, _ := startTransport(t, transport.WithReceiveConnector(rc), transport.WithLocalDelivery(md))

	forged := []string{
		"x-ms-exchange-organization-scl: -1",                           // first, lower case
		"X-MS-Exchange-Organization-AuthAs: Internal\r\n\tforged-fold", // folded
		"X-MS-EXCHANGE-ORGANIZATION-AUTHSOURCE : forged-ws",            // whitespace before the colon
		"X-Ms-Exchange-Forest-RulesExecuted: forged-rep1",              // repeated
		"Subject: firewall",
		"X-MS-Exchange-Forest-RulesExecuted: forged-rep2",
		"From: <a@fabrikam.com>",
		"X-MS-Exchange-Organization-Antispam-Report: forged-last", // last
	}
	body := "X-MS-Exchange-Organization-SCL: -1\r\n" +
		"x-ms-exchange-organization-authas: Internal\r\n" +
		"\r\n" +
		" X-MS-Exchange-Forest-RulesExecuted: folded-looking body line\r\n" +
		".leading dot (dot-stuffed on the wire)\r\n"
	r, _ := smtptest.Dial(t, addr(t, tr, rc.Name()))
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<a@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + strings.Join(forged, "\r\n") + "\r\n\r\n" + body, "250 2.6.0 <"})

	got := readMaildir(t, md, "bob@contoso.com")
	head, gotBody, ok := strings.Cut(got, "\r\n\r\n")
	if !ok {
		t.Fatalf("no header/body boundary:\n%s", got)
	}
	if gotBody != body {
		t.Errorf("body changed:\n got %q\nwant %q", gotBody, body)
	}
	if strings.Contains(head, "forged") || strings.Contains(strings.ToLower(head), "organization-scl") ||
		strings.Contains(strings.ToLower(head), "forest-") || strings.Contains(strings.ToLower(head), "antispam") {
		t.Errorf("forged header survived:\n%s", head)
	}
	for _, want := range []string{"Subject: firewall\r\n", "From: <a@fabrikam.com>\r\n",
		"X-MS-Exchange-Organization-AuthAs: Anonymous\r\n"} {
		if !strings.Contains(head+"\r\n", want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	if n := strings.Count(strings.ToLower(head), "x-ms-exchange-organization-authas"); n != 1 {
		t.Errorf("%d AuthAs fields, want only the stamped one:\n%s", n, head)
	}
}

// readMaildir waits for the first message of addr's mailbox.
func readMaildir(t *testing.T, md *local.Maildir, addr string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for ; ; <-tick.C {
		paths, err := md.Messages(addr)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) > 0 {
			b, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatal("message never reached the Maildir")
		}
	}
}
