package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

func TestMainExitCodes(t *testing.T) {
	good := clitest.WriteFile(t, "good.ps1", `New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative`+"\n")
	bad := clitest.WriteFile(t, "bad.ps1", "New-AcceptedDomain -Name Contoso -DomainName contoso.com\n"+
		"New-SendConnector -Name X -AddressSpaces *.con..x -SmartHosts a.b\n"+
		"New-ReceiveConnector -Name Y -Bindingz 127.0.0.1:25\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr []string
	}{
		{"help", []string{"-h"}, exitOK, "usage: hubedge", nil},
		{"no arguments", nil, exitUsage, "", []string{"usage: hubedge"}},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", []string{`unknown command "frobnicate"`}},
		{"check help", []string{"check", "-h"}, exitOK, "", []string{"usage: hubedge check"}},
		{"check no files", []string{"check"}, exitUsage, "", []string{"no script files"}},
		{"bad role", []string{"check", "-role", "mailbox", good}, exitUsage, "", []string{`-role "mailbox"`}},
		{"check ok", []string{"check", "-server", "HubA", good}, exitOK, "ok (", nil},
		{"check errors", []string{"check", "-server", "HubA", bad}, exitFail, "", []string{
			bad + ":2:", "New-SendConnector: -AddressSpaces",
			bad + ":3:", "New-ReceiveConnector:",
		}},
		{"missing file", []string{"check", "-server", "HubA", filepath.Join(t.TempDir(), "none.ps1")}, exitFail, "", []string{"none.ps1"}},
		{"run without a queue", []string{"run", "-server", "HubA", good}, exitUsage, "", []string{"-queue DIR (or -queue-postgres DSN) is required"}},
		{"management API on a public address", []string{"run", "-server", "HubA", "-queue", t.TempDir(), "-manage", "0.0.0.0:8025",
			"-manage-token", clitest.WriteFile(t, "token", "0123456789abcdef-test-token\n"), good}, exitUsage, "", []string{"only on a loopback address"}},
		{"management API without a token", []string{"run", "-server", "HubA", "-queue", t.TempDir(), "-manage", "127.0.0.1:0", good},
			exitUsage, "", []string{"needs -manage-token"}},
		{"cmdlet without an API", []string{"Get-Queue"}, exitUsage, "", []string{"needs -manage ADDR"}},
		{"dnssec without resolvers", []string{"run", "-server", "HubA", "-queue", t.TempDir(), "-dnssec", good}, exitUsage, "", []string{"-dnssec needs -dns"}},
		{"dnssec with a remote resolver", []string{"run", "-server", "HubA", "-queue", t.TempDir(), "-dnssec", "-dns", "192.0.2.53:53", good},
			exitFail, "", []string{"loopback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", &stdout, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr %q, want it to contain %q", &stderr, want)
				}
			}
		})
	}
}

// TestShowSeedScripts shows the example scripts as JSON: the properties a
// script sets are there in the reference system's names and spellings,
// and no password is.
func TestShowSeedScripts(t *testing.T) {
	creds := credentials(t, "hubcred", `CONTOSO\edgesvc`, "edge-secret")
	var stdout, stderr bytes.Buffer
	args := []string{"show", "-json", "-server", "Edge01", "-role", "edge", "-credentials", creds, "../../examples/scripts/edge.ps1"}
	if code := Main(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if strings.Contains(stdout.String(), "edge-secret") {
		t.Fatal("show printed a password")
	}
	var doc struct {
		SendConnectors []struct {
			Name, SmartHostAuthMechanism, AuthenticationCredential string
			AddressSpaces, SmartHosts                              []string
			Port                                                   int
		}
		ReceiveConnectors []struct {
			Name                     string
			Bindings, RemoteIPRanges []string
		}
		AcceptedDomains []struct{ DomainName, DomainType string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, &stdout)
	}
	var toOrg, fromInternet bool
	for _, s := range doc.SendConnectors {
		if s.Name == "To Internal Org" {
			toOrg = s.AuthenticationCredential == `CONTOSO\edgesvc` && s.Port == 2526 &&
				s.SmartHostAuthMechanism == "BasicAuthRequireTLS" && len(s.AddressSpaces) == 1 && s.AddressSpaces[0] == "SMTP:*.contoso.com;1"
		}
	}
	for _, r := range doc.ReceiveConnectors {
		if r.Name == "From Internet" {
			fromInternet = len(r.Bindings) == 1 && r.Bindings[0] == "127.0.0.1:2525"
		}
	}
	if !toOrg || !fromInternet || len(doc.AcceptedDomains) != 1 || doc.AcceptedDomains[0].DomainType != "InternalRelay" {
		t.Errorf("show -json:\n%s", &stdout)
	}
}

// scriptPair is examples/scripts' edge and hub, each a `hubedge run`
// process of its own, on free loopback ports.
type scriptPair struct {
	edge, hub          *clitest.Server
	edgeAddr, hubAddr  string
	maildir, hubScript string
	internet           *smtptest.Sink
}

func startScriptPair(t *testing.T) *scriptPair {
	t.Helper()
	bin := clitest.Build(t, "github.com/hubedge/hubedge/cmd/hubedge")
	pki := smtptest.NewPKI(t)
	p := &scriptPair{internet: smtptest.NewSink(t, smtptest.Hostname("mx.fabrikam.com"), smtptest.WithPKI(pki, "mx.fabrikam.com"))}
	_, mxPort, _ := net.SplitHostPort(p.internet.Addr())
	dns := mxtest.NewDNS(t, mxtest.A("hub01.contoso.com", "127.0.0.1"), mxtest.A("edge01.contoso.net", "127.0.0.1"),
		mxtest.MX("fabrikam.com", 10, "mx.fabrikam.com"), mxtest.A("mx.fabrikam.com", "127.0.0.1"))
	edgePort, hubPort, clientPort := clitest.FreePort(t), clitest.FreePort(t), clitest.FreePort(t)
	ports := strings.NewReplacer("2525", edgePort, "2526", hubPort, "2587", clientPort)
	edgeScript := clitest.WriteFile(t, "edge.ps1", ports.Replace(readFile(t, "../../examples/scripts/edge.ps1")))
	p.hubScript = clitest.WriteFile(t, "hub.ps1", ports.Replace(readFile(t, "../../examples/scripts/hub.ps1")))
	edgeCert, edgeKey, ca := clitest.WritePKI(t, pki, "edge01.contoso.net")
	hubCert, hubKey, _ := clitest.WritePKI(t, pki, "hub01.contoso.com")
	p.maildir = t.TempDir()
	// -back-pressure=false: these tests are about mail flow, and a CI
	// machine may have less free disk than back pressure wants.
	p.hub = clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Hub01", "-fqdn", "hub01.contoso.com",
		"-credentials", credentials(t, "edgecred", `edge01\hubsvc`, "hubpw"),
		"-users", clitest.WriteUsers(t, clitest.User{Name: `CONTOSO\edgesvc`, Password: "edgepw", Groups: `MS Exchange\Edge Transport Servers`}, clitest.Alice),
		"-mailboxes", clitest.WriteFile(t, "mailboxes", clitest.Alice.Name+"\n"), "-maildir", p.maildir,
		"-cert", hubCert, "-key", hubKey, "-ca", ca, "-dns", dns.Addr(), "-queue", t.TempDir(), "-log", "warn", p.hubScript)
	p.edge = clitest.StartBinary(t, bin, "run", "-back-pressure=false", "-server", "Edge01", "-role", "edge", "-fqdn", "edge01.contoso.net",
		"-credentials", credentials(t, "hubcred", `CONTOSO\edgesvc`, "edgepw"),
		"-users", clitest.WriteUsers(t, clitest.User{Name: `edge01\hubsvc`, Password: "hubpw", Groups: `MS Exchange\Hub Transport Servers`}),
		"-cert", edgeCert, "-key", edgeKey, "-ca", ca, "-dns", dns.Addr(), "-mx-port", mxPort, "-queue", t.TempDir(), "-log", "warn", edgeScript)
	p.edgeAddr, p.hubAddr = p.edge.Addr(t, "From Internet"), p.hub.Addr(t, "Default Hub01")
	return p
}

// TestScriptPair runs the edge and hub of seed 001 from their scripts as
// two processes and sends mail both ways with Python's smtplib.
func TestScriptPair(t *testing.T) {
	p := startScriptPair(t)
	(&clitest.Pair{EdgeAddr: p.edgeAddr, HubAddr: p.hubAddr, Maildir: p.maildir, Internet: p.internet}).CheckMailFlow(t)

	// Unknown mailboxes are refused at RCPT.
	var perr *textproto.Error
	if err := clitest.Send(p.hubAddr, clitest.Mail{From: "alice@contoso.com", To: "nobody@contoso.com", TLS: true,
		User: clitest.Alice.Name, Password: clitest.Alice.Password}); !errors.As(err, &perr) || perr.Code != 550 || !strings.HasPrefix(perr.Msg, "5.1.1") {
		t.Errorf("unknown mailbox: %v, want 550 5.1.1", err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// credentials writes a credentials file with one credential variable.
func credentials(t *testing.T, variable, user, password string) string {
	t.Helper()
	pw := clitest.WriteFile(t, variable+".pw", password+"\n")
	return clitest.WriteFile(t, "credentials", variable+" "+user+" "+pw+"\n")
}
