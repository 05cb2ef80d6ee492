// Package clitest runs the reference servers' run functions in-process for
// their tests and talks SMTP to them with the standard library's client.
package clitest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubedge/hubedge/smtpx/smtptest"
	"golang.org/x/crypto/bcrypt"
)

// RunFunc is the signature of an example's run function.
type RunFunc func(ctx context.Context, args []string, out io.Writer) error

// Server is one running example.
type Server struct {
	mu    sync.Mutex
	out   bytes.Buffer
	addrs map[string]string
	ready chan struct{} // closed when the first send-connector line or run's end is seen
	done  chan error
}

var listening = regexp.MustCompile(`^receive connector "([^"]+)" listening on (\S+):`)

// Write collects output and notes the listening addresses.
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Write(p)
	for _, line := range bytes.Split(p, []byte("\n")) {
		if m := listening.FindSubmatch(line); m != nil {
			s.addrs[string(m[1])] = string(m[2])
		}
		if bytes.HasPrefix(line, []byte("send connector ")) {
			select {
			case <-s.ready:
			default:
				close(s.ready)
			}
		}
	}
	return len(p), nil
}

// Output returns everything the example printed so far.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Start runs run with args until the test ends, then cancels it (the SIGTERM
// path) and checks that it shut down cleanly. It returns once the example
// printed its connectors.
func Start(t *testing.T, run RunFunc, args ...string) *Server {
	t.Helper()
	s := &Server{addrs: map[string]string{}, ready: make(chan struct{}), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { s.done <- run(ctx, args, s) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("shutdown: %v\n%s", err, s.Output())
		}
	})
	select {
	case <-s.ready:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("example ended before serving: %v\n%s", err, s.Output())
	case <-time.After(10 * time.Second):
		t.Fatalf("example did not start\n%s", s.Output())
	}
	return s
}

// Addr returns the address the named receive connector listens on.
func (s *Server) Addr(t *testing.T, connector string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.addrs[connector]
	if !ok {
		t.Fatalf("no receive connector %q in:\n%s", connector, s.out.String())
	}
	return a
}

// Mail is one message to submit.
type Mail struct {
	From, To string
	Subject  string
	Header   string // extra header lines, CRLF-terminated
	TLS      bool   // STARTTLS first (certificate not verified: test certificates are self-signed)
	User     string // AUTH PLAIN when set
	Password string
}

// Send submits m to addr and returns the first refusal, if any.
func Send(addr string, m Mail) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if m.TLS {
		if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil { //nolint:gosec // test peers are self-signed
			return err
		}
	}
	if m.User != "" {
		host, _, _ := net.SplitHostPort(addr)
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.From); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n%s\r\nHello from the test.\r\n", m.From, m.To, m.Subject, m.Header)
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Banner connects to addr and returns the greeting's code and text.
func Banner(addr string) (int, string, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return textproto.NewReader(bufio.NewReader(conn)).ReadResponse(0)
}

// WaitMaildir polls, up to a deadline, until the Maildir of addr under root
// (root/domain/local, smtpx/local's layout) holds a message in new/, and
// returns its content.
func WaitMaildir(t *testing.T, root, addr string) string {
	t.Helper()
	at := strings.LastIndexByte(addr, '@')
	dir := filepath.Join(root, strings.ToLower(addr[at+1:]), strings.ToLower(addr[:at]), "new")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			b, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no message for %s in %s", addr, dir)
		}
	}
}

// WritePKI writes a certificate for names issued by pki, its key and the CA
// certificate as PEM files in a temporary directory, for -cert, -key and -ca.
func WritePKI(t *testing.T, pki *smtptest.PKI, names ...string) (cert, key, ca string) {
	t.Helper()
	c := pki.Certificate(names...)
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key, ca = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	var chain []byte
	for _, b := range c.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})...)
	}
	for file, data := range map[string][]byte{
		cert: chain,
		key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		ca:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.CACert().Raw}),
	} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, ca
}

// WriteUsers writes a credentials file for auth.LoadFile with one user.
func WriteUsers(t *testing.T, user, password, groups string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	line := user + ":" + string(hash)
	if groups != "" {
		line += ":" + groups
	}
	file := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
