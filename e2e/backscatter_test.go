package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Local parts a Maildir could never store are refused at RCPT time, so no
// message is accepted only to be bounced to a forgeable sender; with a
// recipient directory, unknown users of the authoritative domain get
// 550 5.1.1, and the users the directory lists are accepted.
func TestUndeliverableLocalPartsRefusedAtRcpt(t *testing.T) {
	root := t.TempDir()
	md, err := local.NewMaildir(filepath.Join(root, "mail"))
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(root, "users")
	if err := os.WriteFile(users, []byte("# mailboxes\nbob:$2a$10$hash:Users\ncarol@contoso.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := local.LoadDirectory(users, "contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{`a/b`, `"../../escape"`, `..`, `"a\/b"`, `.hidden`, `"a\\b"`}
	for _, tc := range []struct {
		name string
		opts []transport.Option
		// unknown is the reply to an unlisted but storable local part.
		unknown string
	}{
		{"no directory", nil, "250 2.1.5"},
		{"directory", []transport.Option{transport.WithDirectory(dir)}, "550 5.1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := smtptest.InternetConnector(t, func(c *connector.ReceiveConfig) { c.MaxProtocolErrors = 100 })
			opts := append([]transport.Option{transport.WithReceiveConnector(rc), transport.WithLocalDelivery(md)}, tc.opts...)
			tr, _ := startTransport(t, opts...)
			r, _ := smtptest.Dial(t, addr(t, tr, rc.Name()))
			smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<spammer@fabrikam.com>", "250"})
			for _, l := range bad {
				smtptest.Expect(t, r, smtptest.Step{"RCPT TO:<" + l + "@contoso.com>", "550 5.1.3"})
			}
			smtptest.Expect(t, r, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250 2.1.5"},
				smtptest.Step{"RCPT TO:<Carol@contoso.com>", "250 2.1.5"},
				smtptest.Step{"RCPT TO:<nobody@contoso.com>", tc.unknown})
		})
	}
}
