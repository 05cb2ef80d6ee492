package clitest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// pythonClient is the submission script of SendPython. A refusal is printed
// as "code text" and exits 3, so that the caller can rebuild it as a
// *textproto.Error.
const pythonClient = `
import smtplib, ssl, sys
host, port, src, user, pw, tls, frm, to = sys.argv[1:9]
msg = sys.stdin.buffer.read()
try:
    s = smtplib.SMTP(host, int(port), local_hostname="client.test",
                     source_address=(src, 0) if src else None, timeout=30)
    if tls == "1":
        s.starttls(context=ssl._create_unverified_context())
    if user:
        s.login(user, pw)
    s.sendmail(frm, to.split(","), msg)
    s.quit()
except smtplib.SMTPRecipientsRefused as e:
    code, text = next(iter(e.recipients.values()))
    print(code, text.decode(errors="replace"))
    sys.exit(3)
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode(errors="replace"))
    sys.exit(3)
`

// SendPython submits m to addr with Python's smtplib, the client of most
// scripts, instead of Go's net/smtp. m.To may list several recipients,
// comma-separated. A refusal is returned as a *textproto.Error. The test is
// skipped when python3 is not installed.
func SendPython(t *testing.T, addr string, m Mail) error {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the smtplib client cannot run")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	tls := "0"
	if m.TLS {
		tls = "1"
	}
	cmd := exec.Command(py, "-c", pythonClient, host, port, m.LocalIP, m.User, m.Password, tls, m.From, m.To)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n%s\r\nHello from smtplib.\r\n",
		m.From, m.To, m.Subject, m.Header))
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		code, msg, _ := strings.Cut(string(bytes.TrimSpace(out)), " ")
		n, _ := strconv.Atoi(code)
		return &textproto.Error{Code: n, Msg: msg}
	}
	if errors.As(err, &exit) {
		return fmt.Errorf("python3 smtplib: %v\n%s%s", err, out, exit.Stderr)
	}
	return err
}
