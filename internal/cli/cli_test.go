package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/transport"
	"golang.org/x/crypto/bcrypt"
)

func parse(t *testing.T, args ...string) *Common {
	t.Helper()
	var c Common
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, "hub.example.com")
	if done, err := c.Parse(fs, args, io.Discard); done || err != nil {
		t.Fatalf("Parse(%q) = %v, %v", args, done, err)
	}
	t.Cleanup(c.Close)
	return &c
}

func TestBcrypt(t *testing.T) {
	Stdin = strings.NewReader("s3cret\n")
	t.Cleanup(func() { Stdin = os.Stdin })
	var c Common
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c.Register(fs, "hub.example.com")
	var out strings.Builder
	done, err := c.Parse(fs, []string{"-bcrypt"}, &out)
	if !done || err != nil {
		t.Fatalf("done %v err %v", done, err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out.String())), []byte("s3cret")); err != nil {
		t.Fatalf("hash %q: %v", out.String(), err)
	}
}

func TestOptionsErrors(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		args    []string
		needTLS bool
	}{
		{"TLS needed", nil, true},
		{"selfsigned and cert", []string{"-selfsigned", "-cert", "x.pem"}, false},
		{"domains without maildir", []string{"-domains", "contoso.com"}, false},
		{"bad hosts", []string{"-hosts", "hub.contoso.com"}, false},
		{"bad mx port", []string{"-mx-port", "70000"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parse(t, tt.args...).Options(log, tt.needTLS); !errors.Is(err, ErrUsage) {
				t.Fatalf("err = %v, want ErrUsage", err)
			}
		})
	}
	var c Common
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, "hub.example.com")
	if _, err := c.Parse(fs, []string{"-no-such-flag"}, io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: %v, want ErrUsage", err)
	}
	if _, err := parse(t, "-log", "loud").Logger(io.Discard); !errors.Is(err, ErrUsage) {
		t.Errorf("-log loud: %v", err)
	}
	if _, err := parse(t, "-grace", "-5s").ServerOptions(log, false); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "-grace -5s") {
		t.Errorf("-grace -5s: %v, want ErrUsage naming the flag", err)
	}
	_, _, err := parse(t, "-cert", "/nonexistent/c.pem", "-key", "/nonexistent/k.pem").Certificate()
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "-cert /nonexistent/c.pem -key /nonexistent/k.pem") {
		t.Errorf("missing certificate files: %v, want the flags and ErrNotExist", err)
	}
}

func TestSelfSignedAndDomains(t *testing.T) {
	c := parse(t, "-selfsigned", "-domains", "contoso.com, fabrikam.com", "-maildir", t.TempDir())
	cert, ok, err := c.Certificate()
	if err != nil || !ok || cert.Leaf == nil && len(cert.Certificate) == 0 {
		t.Fatalf("certificate: %v %v", ok, err)
	}
	if ds := c.AcceptedDomains(); len(ds) != 2 || ds[1].Domain != "fabrikam.com" {
		t.Errorf("domains %+v", ds)
	}
	if _, err := c.Options(slog.New(slog.DiscardHandler), true); err != nil {
		t.Fatal(err)
	}
}

// -hosts serves its names from an in-process DNS server until Close.
func TestHosts(t *testing.T) {
	c := parse(t, "-hosts", "hub1.fourthcoffee.com=127.0.0.1")
	if _, err := c.Options(slog.New(slog.DiscardHandler), false); err != nil {
		t.Fatal(err)
	}
	addr, err := c.serveHosts(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r, err := mx.New(mx.WithServers(addr))
	if err != nil {
		t.Fatal(err)
	}
	ips, err := r.LookupHost(context.Background(), "hub1.fourthcoffee.com")
	if err != nil || len(ips) != 1 || ips[0].String() != "127.0.0.1" {
		t.Fatalf("lookup: %v %v", ips, err)
	}
}

func TestSplitListAndPassword(t *testing.T) {
	if got := SplitList(" a, ,b,"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("SplitList = %q", got)
	}
	t.Setenv("HUBEDGE_SMARTHOST_PASSWORD", "fromenv")
	if pw, err := parse(t).Password(); pw != "fromenv" || err != nil {
		t.Errorf("env password %q %v", pw, err)
	}
}

// A port the process may not bind says how to get the right or which flag
// to change.
func TestServeExplainsPrivilegedPort(t *testing.T) {
	rcCfg := connector.NewReceiveConfig("Default", connector.UsageInternet)
	rcCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:25")}
	rc, err := rcCfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transport.New(transport.WithMemoryQueue(), transport.WithReceiveConnector(rc), transport.WithServerOptions(smtpx.WithListen(func(network, addr string) (net.Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", syscall.EACCES)}
	})))
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t)
	err = c.Serve(context.Background(), tr, io.Discard, "banner", nil)
	if !errors.Is(err, syscall.EACCES) || !strings.Contains(err.Error(), "CAP_NET_BIND_SERVICE") || !strings.Contains(err.Error(), "-listen") {
		t.Fatalf("err = %v", err)
	}
}
