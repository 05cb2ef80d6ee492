// Package clitest runs the reference servers for their tests, in-process
// (Start) or built and started as processes the way a user runs them
// (StartProcess, and StartPair for the edge/hub pair), and talks SMTP to
// them with the standard library's client (Send) or Python's smtplib
// (SendPython).
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
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
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
	grew  chan struct{} // closed and replaced by every Write

	proc     *os.Process // StartProcess only
	stopOnce sync.Once
	stopErr  error
}

var listening = regexp.MustCompile(`^receive connector "([^"]+)" listening on (\S+):`)

func newServer() *Server {
	return &Server{addrs: map[string]string{}, ready: make(chan struct{}), done: make(chan error, 1), grew: make(chan struct{})}
}

// Write collects output and notes the listening addresses.
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Write(p)
	close(s.grew)
	s.grew = make(chan struct{})
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

// WaitOutput waits until the example has printed text, and fails the test
// if it ends or stays silent too long first.
func (s *Server) WaitOutput(t *testing.T, text string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		s.mu.Lock()
		found, grew := strings.Contains(s.out.String(), text), s.grew
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-grew:
		case err := <-s.done:
			s.done <- err
			t.Fatalf("example ended (%v) without printing %q\n%s", err, text, s.Output())
		case <-timeout:
			t.Fatalf("example did not print %q\n%s", text, s.Output())
		}
	}
}

// Start runs run with args until the test ends, then cancels it (the SIGTERM
// path) and checks that it shut down cleanly. It returns once the example
// printed its connectors.
func Start(t *testing.T, run RunFunc, args ...string) *Server {
	t.Helper()
	s := newServer()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { s.done <- run(ctx, args, s) }()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("shutdown: %v\n%s", err, s.Output())
		}
	})
	s.wait(t)
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
	LocalIP  string // source address to dial from, e.g. "127.0.0.2" to stand for the Internet
}

// Send submits m to addr and returns the first refusal, if any.
func Send(addr string, m Mail) error {
	d := net.Dialer{Timeout: 5 * time.Second}
	if m.LocalIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(m.LocalIP)}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
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

// User is one line of a credentials file.
type User struct{ Name, Password, Groups string }

// WriteUsers writes a credentials file for auth.LoadFile (bcrypt hashes).
func WriteUsers(t *testing.T, users ...User) string {
	t.Helper()
	var b strings.Builder
	for _, u := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%s", u.Name, hash)
		if u.Groups != "" {
			b.WriteString(":" + u.Groups)
		}
		b.WriteString("\n")
	}
	return WriteFile(t, "users", b.String())
}

// WriteFile writes content to a new file name in a temporary directory.
func WriteFile(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// FreePort returns a loopback port that was free a moment ago, for two
// servers that must each know the other's address before starting. Another
// process could take it in between; tests accept that small race.
func FreePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// FreePorts is FreePort for n ports at once, all different: each stays
// taken until all are chosen, so the kernel cannot hand one out twice.
func FreePorts(t *testing.T, n int) []string {
	t.Helper()
	ports := make([]string, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, ports[i], _ = net.SplitHostPort(l.Addr().String())
	}
	return ports
}

// Build builds the main package pkg (an import path) into a temporary
// directory and returns the binary's path.
func Build(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// StartProcess builds the main package pkg (an import path) and runs it with
// args as a child process, the way a user would; at the end of the test it
// sends SIGTERM and checks that the program exits 0. It returns once the
// program printed its connectors.
func StartProcess(t *testing.T, pkg string, args ...string) *Server {
	t.Helper()
	return StartBinary(t, Build(t, pkg), args...)
}

// StartBinary is StartProcess for a binary already built.
func StartBinary(t *testing.T, bin string, args ...string) *Server {
	t.Helper()
	return StartCommand(t, exec.Command(bin, args...))
}

// StartCommand is StartProcess for a command prepared by the caller (say,
// with its own working directory); its output goes to the Server.
func StartCommand(t *testing.T, cmd *exec.Cmd) *Server {
	t.Helper()
	s := newServer()
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc = cmd.Process
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("%s after SIGTERM: %v\n%s", cmd.Path, err, s.Output())
		}
	})
	s.wait(t)
	return s
}

// Signal sends sig to a server started by StartProcess.
func (s *Server) Signal(sig os.Signal) error { return s.proc.Signal(sig) }

// Stop sends SIGTERM to a server started by StartProcess and returns how it
// exited; later calls return the same result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		_ = s.proc.Signal(syscall.SIGTERM)
		s.stopErr = <-s.done
	})
	return s.stopErr
}

func (s *Server) wait(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("output:\n%s", s.Output())
		}
	})
	select {
	case <-s.ready:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("example ended before serving: %v\n%s", err, s.Output())
	case <-time.After(30 * time.Second):
		t.Fatalf("example did not start\n%s", s.Output())
	}
}

// Header parses the header of msg, a whole message as delivered.
func Header(t *testing.T, msg string) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	return m.Header
}

// ReceivedBy reports whether a Received field of h was written by host.
func ReceivedBy(h mail.Header, host string) bool {
	for _, r := range h["Received"] {
		if strings.Contains(r, "by "+host) {
			return true
		}
	}
	return false
}

// WaitMessage waits, up to a deadline, for the first message sink accepts
// and returns it.
func WaitMessage(t *testing.T, sink *smtptest.Sink) smtptest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := sink.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return msgs[0]
}

// Shell is a bash command line run in dir.
func Shell(dir, line string) *exec.Cmd {
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	return cmd
}

// MustRun runs cmd and returns its standard output, failing the test with
// both outputs if it fails.
func MustRun(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, out, stderr)
	}
	return out
}
