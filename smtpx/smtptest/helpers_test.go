package smtptest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeTB is a TB whose Fatalf ends the calling goroutine like
// testing.T.FailNow, so tests can observe the harness's fatal paths.
type fakeTB struct {
	mu       sync.Mutex
	fatal    string
	cleanups []func()
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Cleanup(fn func())   { f.mu.Lock(); f.cleanups = append(f.cleanups, fn); f.mu.Unlock() }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// runCleanups runs the registered cleanups last-in first-out.
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// expectFatal runs fn with a fakeTB on its own goroutine, runs the
// cleanups fn registered, and returns the Fatalf message ("" if none).
func expectFatal(fn func(tb TB)) string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	f.runCleanups()
	return f.fatal
}

const testBody = "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: hello\r\n\r\nHi Bob.\r\n"

// send runs one transaction, driving Mail/Rcpt/Data itself so
// per-recipient errors are all observed (go-smtp's SendMail stops at the
// first). It returns the RCPT errors by recipient and the DATA error.
func send(c *smtp.Client, from string, to []string, body string) (map[string]error, error) {
	if err := c.Mail(from, nil); err != nil {
		return nil, err
	}
	rcptErrs, accepted := map[string]error{}, 0
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			rcptErrs[rcpt] = err
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return rcptErrs, c.Reset()
	}
	w, err := c.Data()
	if err != nil {
		return rcptErrs, err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return rcptErrs, err
	}
	return rcptErrs, w.Close()
}

// code returns the SMTP reply code in err, or 0.
func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("missing %q in:\n%s", sub, s)
	}
}
