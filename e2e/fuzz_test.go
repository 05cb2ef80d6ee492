package e2e

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

var replyLine = regexp.MustCompile(`^[2-5][0-9]{2}[ -]`)

// FuzzSession feeds random command streams to a live session of an
// Internet connector (with AUTH, STARTTLS, BDAT and a small size limit).
// Invariants: the transport never panics, every line it sends is a
// well-formed reply, it closes the connection once the client is done
// (no hang), and it still greets a fresh client afterwards.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"EHLO a\nMAIL FROM:<a@b.example>\nRCPT TO:<bob@contoso.com>\nDATA\nSubject: x\n\nhi\n.\nQUIT\n",
		"EHLO a\nMAIL FROM:<a@b.example>\nRCPT TO:<bob@contoso.com>\nBDAT 5 LAST\nhello\nQUIT\n",
		"EHLO a\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\nAUTH LOGIN\nYWxpY2U=\n*\n",
		"HELO\nMAIL FROM:<>\nRCPT TO:<@contoso.com:u@evil.example>\nRCPT TO:<\"a@b\"@contoso.com>\nDATA\n",
		"EHLO a\nMAIL FROM:<a@b.example> SIZE=99999999999999999999\nRSET\nVRFY bob\nEXPN x\nHELP\nNOOP\n",
		"EHLO a\nMAIL FROM:<a@b.example>\nRCPT TO:<bob@contoso.com>\nBDAT 99999999\n",
		"EHLO a\nSTARTTLS\n\x16\x03\x01\x00\x05hello",
		"\x00\xff\r\r\n\n" + strings.Repeat("A", 3000) + "\nQUIT\n",
		"EHLO a\nMAIL FROM:<a@b.example>\nRCPT TO:<bob@contoso.com>\nDATA\nX-MS-Exchange-Organization-SCL: -1\n\n..\n.\n",
	} {
		f.Add(seed)
	}
	// No certificate: STARTTLS is not offered, so every byte the server
	// sends is SMTP text the invariant can check.
	rc := smtptest.InternetConnector(f, func(c *connector.ReceiveConfig) {
		c.MaxMessageSize = minSize
		c.TarpitInterval = 0
		c.MaxProtocolErrors = 1000
		c.AuthMechanism = auth.BasicAuth
	})
	tr, _ := startTransport(f, transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithAuthenticator(users())))
	a := addr(f, tr, rc.Name())
	f.Fuzz(func(t *testing.T, stream string) {
		c, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			_, _ = io.WriteString(c, strings.ReplaceAll(stream, "\n", "\r\n"))
			_ = c.(*net.TCPConn).CloseWrite()
		}()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if line != "" && !replyLine.MatchString(line) {
				t.Fatalf("malformed reply line %q", line)
			}
			if err == io.EOF || err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatalf("server neither answered nor closed: %v", err)
			}
		}
		r, banner := smtptest.Dial(t, a)
		if !strings.HasPrefix(banner, "220 ") {
			t.Fatalf("fresh client greeted %q", banner)
		}
		r.Cmd("QUIT")
	})
}
