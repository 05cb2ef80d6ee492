//go:build linux

package miltertest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// OpenDKIM is a running OpenDKIM milter that signs every message whose
// From is in its domain, whoever sends it.
type OpenDKIM struct {
	Network, Addr string // "unix" and the socket path
	Dir           string
}

const openDKIMConfig = `Syslog no
Mode sv
Domain %[2]s
Selector %[3]s
KeyFile %[1]s/key.pem
RequireSafeKeys false
Socket local:%[1]s/milter.sock
PidFile %[1]s/pid
InternalHosts 0.0.0.0/0
Canonicalization relaxed/relaxed
`

// StartOpenDKIM starts opendkim signing for domain with key under
// selector. It returns once opendkim accepts connections. OpenDKIM 2.11
// writes its pid file before libmilter binds the socket, so neither the
// pid file nor the socket's name alone says it listens: the socket's
// creation is awaited with inotify, and then a probe connection covers
// the moment between bind and listen.
func StartOpenDKIM(t testing.TB, domain, selector string, key *rsa.PrivateKey) *OpenDKIM {
	t.Helper()
	bin, err := exec.LookPath("opendkim")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/opendkim"); err != nil {
			t.Skip("miltertest: opendkim is not installed (apt-get install opendkim)")
		}
	}
	dir := t.TempDir()
	// A short path: a Unix socket's name is limited to about 100 bytes.
	if len(dir) > 80 {
		t.Skipf("miltertest: temp dir %s too long for a Unix socket", dir)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "opendkim.conf"), fmt.Sprintf(openDKIMConfig, dir, domain, selector))
	sock := filepath.Join(dir, "milter.sock")
	ready, err := watchCreate(dir, "milter.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer ready.Close()
	cmd := exec.Command(bin, "-f", "-x", filepath.Join(dir, "opendkim.conf"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // it lingers on SIGTERM
		<-exited
	})
	seen := make(chan error, 1)
	go func() { seen <- ready.wait() }()
	select {
	case err := <-seen:
		if err != nil {
			t.Fatalf("miltertest: waiting for opendkim: %v", err)
		}
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("miltertest: opendkim exited: %v: %s", err, out.String())
	}
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			break
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("miltertest: connecting to opendkim: %v", err)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("miltertest: opendkim exited: %v: %s", err, out.String())
		default:
			runtime.Gosched() // bound, not yet listening: a few microseconds
		}
	}
	return &OpenDKIM{Network: "unix", Addr: sock, Dir: dir}
}

// watcher reports the creation of one name in a directory.
type watcher struct {
	f    *os.File
	name string
}

func watchCreate(dir, name string) (*watcher, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("inotify: %w", err)
	}
	return &watcher{f: os.NewFile(uintptr(fd), "inotify"), name: name}, nil
}

// wait returns when the name has been created; Close ends it.
func (w *watcher) wait() error {
	buf := make([]byte, 4096)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return err
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameStart := off + syscall.SizeofInotifyEvent
			name := strings.TrimRight(string(buf[nameStart:nameStart+int(ev.Len)]), "\x00")
			if name == w.name {
				return nil
			}
			off = nameStart + int(ev.Len)
		}
		if n == 0 {
			return errors.New("inotify: end of events")
		}
	}
}

func (w *watcher) Close() error { return w.f.Close() }
