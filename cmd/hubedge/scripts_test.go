package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// The hubedge binary, built once for the script tests.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func hubedgeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "hubedge-bin"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "hubedge")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// script is one of examples/scripts with its one-machine ports (the
// script's own 25xx numbers) replaced by free ones; it must pass
// `hubedge check` as the server it is run as.
func script(t *testing.T, name, server string, ports map[string]string) string {
	t.Helper()
	src := "../../examples/scripts/" + name
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"check", "-server", server, src}, &stdout, &stderr); code != exitOK {
		t.Fatalf("hubedge check %s: exit %d\n%s", src, code, &stderr)
	}
	text := readFile(t, src)
	for from, to := range ports {
		text = strings.ReplaceAll(text, ":"+from, ":"+to)
		text = strings.ReplaceAll(text, "-Port "+from, "-Port "+to)
	}
	return clitest.WriteFile(t, name, text)
}

// otherIP is a client that is neither the gateway nor the other forest.
const otherIP = "127.0.0.2"

// refusedRelay checks that an anonymous client from otherIP cannot send to
// a recipient outside the organization.
func refusedRelay(t *testing.T, addr string) {
	t.Helper()
	var perr *textproto.Error
	err := clitest.Send(addr, clitest.Mail{LocalIP: otherIP, From: "spam@example.org", To: "eve@example.net"})
	if !errors.As(err, &perr) || perr.Code/100 != 5 || !strings.HasPrefix(perr.Msg, "5.7.") {
		t.Errorf("anonymous relay from %s: %v, want a 5.7.x refusal", otherIP, err)
	}
}

// gatewayHub runs the gateway script name as HubA, sending to gw as
// smtpgateway1.contoso.com; args come before the script.
func gatewayHub(t *testing.T, name string, gw *smtptest.Sink, args ...string) *clitest.Server {
	t.Helper()
	_, gwPort, _ := net.SplitHostPort(gw.Addr())
	dns := mxtest.NewDNS(t, mxtest.A("smtpgateway1.contoso.com", "127.0.0.1"))
	free := clitest.FreePorts(t, 2)
	src := script(t, name, "HubA", map[string]string{"2525": free[0], "2526": gwPort, "2587": free[1]})
	args = append([]string{"run", "-back-pressure=false", "-server", "HubA", "-fqdn", "huba.contoso.com", "-dns", dns.Addr(), "-queue", t.TempDir(), "-log", "warn"}, args...)
	return clitest.StartBinary(t, hubedgeBinary(t), append(args, src)...)
}

// TestGatewayBasicScript: the gateway logs in to the default receive
// connector and may send anywhere; the hub logs in to the gateway only over
// TLS to a certificate valid for its name; anonymous clients may not relay.
func TestGatewayBasicScript(t *testing.T) {
	t.Parallel()
	pki := smtptest.NewPKI(t)
	gw := smtptest.NewSink(t, smtptest.WithPKI(pki, "smtpgateway1.contoso.com"), smtptest.RequireTLS(), smtptest.RequireAuth("hubsvc", "gwpass"))
	cert, key, ca := clitest.WritePKI(t, pki, "huba.contoso.com")
	maildir := t.TempDir()
	hub := gatewayHub(t, "gateway-basic.ps1", gw, "-credentials", credentials(t, "mycred", "hubsvc", "gwpass"),
		"-users", clitest.WriteUsers(t, clitest.User{Name: "smtpgateway@fabrikam.com", Password: "s3cret"}),
		"-cert", cert, "-key", key, "-ca", ca, "-maildir", maildir)
	addr := hub.Addr(t, "Default HubA")

	var perr *textproto.Error
	if err := clitest.Send(addr, clitest.Mail{LocalIP: otherIP, From: "x@example.org", To: "bob@fabrikam.com", TLS: true}); !errors.As(err, &perr) || perr.Code != 530 {
		t.Errorf("anonymous submission: %v, want 530", err)
	}
	gateway := clitest.Mail{TLS: true, User: "smtpgateway@fabrikam.com", Password: "s3cret"}
	out := gateway
	out.From, out.To, out.Subject = "alice@contoso.com", "bob@fabrikam.com", "outbound"
	if err := clitest.Send(addr, out); err != nil {
		t.Fatal(err)
	}
	if m := clitest.WaitMessage(t, gw); !m.TLS || m.AuthUser != "hubsvc" || m.To[0] != "bob@fabrikam.com" {
		t.Errorf("gateway got %+v", m)
	}
	in := gateway
	in.From, in.To, in.Subject = "bob@fabrikam.com", "alice@contoso.com", "inbound"
	if err := clitest.Send(addr, in); err != nil {
		t.Fatal(err)
	}
	if h := clitest.Header(t, clitest.WaitMaildir(t, maildir, "alice@contoso.com")); h.Get("Subject") != "inbound" {
		t.Errorf("delivered header: %v", h)
	}
}

// TestBasicAuthNotSentToImpostor runs the Basic-over-TLS scripts against a
// smart host whose certificate is not valid for the connector's smart
// host, from a trusted CA but for another name, or self-signed: the
// message waits in the queue and the password is never sent.
func TestBasicAuthNotSentToImpostor(t *testing.T) {
	t.Parallel()
	// Both scripts bind their default receive connector to 2525 and their
	// client connector to 2587, and send to port 2526.
	for _, tt := range []struct{ script, server, fqdn, smartHost, rcpt string }{
		{"gateway-basic.ps1", "HubA", "huba.contoso.com", "smtpgateway1.contoso.com", "bob@fabrikam.com"},
		{"contoso.ps1", "HubA", "huba.contoso.com", "hub1.fourthcoffee.com", "dave@fourthcoffee.com"},
	} {
		for impostor, refusal := range map[string]string{"wrong name": "certificate is valid for impostor.example",
			"self-signed": "certificate signed by unknown authority"} {
			t.Run(tt.script+"/"+impostor, func(t *testing.T) {
				pki := smtptest.NewPKI(t)
				opts := []smtptest.SinkOption{smtptest.WithPKI(pki, "impostor.example")}
				if impostor == "self-signed" {
					self, err := smtptest.SelfSigned(tt.smartHost)
					if err != nil {
						t.Fatal(err)
					}
					opts = []smtptest.SinkOption{smtptest.WithTLS(self)}
				}
				peer := smtptest.NewSink(t, append(opts, smtptest.RequireTLS(), smtptest.RequireAuth("hubsvc", "secret"))...)
				_, peerPort, _ := net.SplitHostPort(peer.Addr())
				dns := mxtest.NewDNS(t, mxtest.A(tt.smartHost, "127.0.0.1"))
				cert, key, ca := clitest.WritePKI(t, pki, tt.fqdn)
				free := clitest.FreePorts(t, 2)
				hub := clitest.StartBinary(t, hubedgeBinary(t), "run", "-back-pressure=false", "-server", tt.server, "-fqdn", tt.fqdn,
					"-credentials", credentials(t, "mycred", "hubsvc", "secret"),
					"-users", clitest.WriteUsers(t, clitest.Alice),
					"-cert", cert, "-key", key, "-ca", ca, "-dns", dns.Addr(), "-maildir", t.TempDir(), "-queue", t.TempDir(), "-log", "debug",
					script(t, tt.script, tt.server, map[string]string{"2525": free[0], "2526": peerPort, "2587": free[1]}))
				if err := clitest.Send(hub.Addr(t, "Default "+tt.server), clitest.Mail{TLS: true, User: clitest.Alice.Name, Password: clitest.Alice.Password,
					From: "alice@contoso.com", To: tt.rcpt, Subject: "secret plans"}); err != nil {
					t.Fatal(err)
				}
				hub.WaitOutput(t, refusal)
				if n := len(peer.Messages()); n != 0 {
					t.Errorf("the impostor got %d messages", n)
				}
				if tr := strings.ToUpper(peer.Transcript()); !strings.Contains(tr, "STARTTLS") || strings.Contains(tr, "AUTH ") {
					t.Errorf("want STARTTLS and no AUTH in the impostor's transcript:\n%s", peer.Transcript())
				}
			})
		}
	}
}

// TestGatewayExternalScript: the gateway's address is trusted as an
// internal server (Externally Secured), without TLS or a login.
func TestGatewayExternalScript(t *testing.T) {
	t.Parallel()
	gw := smtptest.NewSink(t)
	maildir := t.TempDir()
	hub := gatewayHub(t, "gateway-external.ps1", gw, "-selfsigned", "-maildir", maildir)
	addr := hub.Addr(t, "FromInternetGateway")

	if err := clitest.Send(addr, clitest.Mail{From: "alice@contoso.com", To: "bob@fabrikam.com", Subject: "outbound"}); err != nil {
		t.Fatal(err)
	}
	if m := clitest.WaitMessage(t, gw); m.To[0] != "bob@fabrikam.com" || m.AuthUser != "" {
		t.Errorf("gateway got %+v", m)
	}
	if err := clitest.Send(addr, clitest.Mail{From: "bob@fabrikam.com", To: "alice@contoso.com", Subject: "inbound"}); err != nil {
		t.Fatal(err)
	}
	msg := clitest.WaitMaildir(t, maildir, "alice@contoso.com")
	if h := clitest.Header(t, msg); h.Get("Subject") != "inbound" || h.Get("X-MS-Exchange-Organization-AuthMechanism") != "03" {
		t.Errorf("delivered (want AuthMechanism 03, Externally Secured):\n%s", msg)
	}
	refusedRelay(t, addr)
}

// TestGatewayAnonymousRelayScript: anonymous clients at the gateway's
// address relay anywhere, and only there.
func TestGatewayAnonymousRelayScript(t *testing.T) {
	t.Parallel()
	gw := smtptest.NewSink(t)
	hub := gatewayHub(t, "gateway-anonymous-relay.ps1", gw, "-selfsigned", "-maildir", t.TempDir())
	addr := hub.Addr(t, "FromInternetGateway")

	if err := clitest.Send(addr, clitest.Mail{From: "app@contoso.com", To: "eve@example.net", Subject: "relay"}); err != nil {
		t.Fatal(err)
	}
	if m := clitest.WaitMessage(t, gw); m.From != "app@contoso.com" || m.To[0] != "eve@example.net" || m.AuthUser != "" {
		t.Errorf("gateway got %+v", m)
	}
	refusedRelay(t, addr)
}

// TestCrossForestScripts runs each forest's script as a process of its own,
// in both of the seed's authentications: mail crosses both ways, each
// forest logging in to the other over TLS (Basic over TLS) or trusted by
// its address (external).
func TestCrossForestScripts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode, suffix string
		want         func(msg, fqdn string) bool
	}{
		// ESMTPSA, or UTF8SMTPSA as net/smtp asks for SMTPUTF8.
		{"basic-tls", "", func(msg, fqdn string) bool { return strings.Contains(msg, "by "+fqdn+" with UTF8SMTPSA") }},
		// Externally Secured.
		{"external", "-external", func(msg, _ string) bool {
			return strings.Contains(msg, "X-MS-Exchange-Organization-AuthMechanism: 03")
		}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			crossForest(t, tt.suffix, tt.want)
		})
	}
}

func crossForest(t *testing.T, suffix string, want func(msg, fqdn string) bool) {
	type forest struct {
		script, server, fqdn, domain, user string
		account                            string // the other forest's login here
		maildir                            string
		hub                                *clitest.Server
	}
	contoso := &forest{script: "contoso" + suffix + ".ps1", server: "HubA", fqdn: "huba.contoso.com", domain: "contoso.com", user: "alice", account: `CONTOSO\fourthcoffee`}
	fourthcoffee := &forest{script: "fourthcoffee" + suffix + ".ps1", server: "Hub1", fqdn: "hub1.fourthcoffee.com", domain: "fourthcoffee.com", user: "dave", account: "FourthCoffee@Contoso.com"}
	pki := smtptest.NewPKI(t)
	dns := mxtest.NewDNS(t, mxtest.A(contoso.fqdn, "127.0.0.1"), mxtest.A(fourthcoffee.fqdn, "127.0.0.1"))
	free := clitest.FreePorts(t, 4)
	ports := map[string]string{"2525": free[0], "2526": free[1], "2587": free[2], "2588": free[3]}
	for _, pair := range [][2]*forest{{contoso, fourthcoffee}, {fourthcoffee, contoso}} {
		me, other := pair[0], pair[1]
		cert, key, ca := clitest.WritePKI(t, pki, me.fqdn)
		me.maildir = t.TempDir()
		me.hub = clitest.StartBinary(t, hubedgeBinary(t), "run", "-back-pressure=false", "-server", me.server, "-fqdn", me.fqdn,
			"-credentials", credentials(t, "mycred", other.account, "pw-"+other.account),
			"-users", clitest.WriteUsers(t, clitest.User{Name: me.user + "@" + me.domain, Password: me.user + "pw"},
				clitest.User{Name: me.account, Password: "pw-" + me.account, Groups: "Exchange Servers"}),
			"-cert", cert, "-key", key, "-ca", ca, "-dns", dns.Addr(), "-maildir", me.maildir, "-queue", t.TempDir(), "-log", "warn",
			script(t, me.script, me.server, ports))
	}
	for _, pair := range [][2]*forest{{contoso, fourthcoffee}, {fourthcoffee, contoso}} {
		from, to := pair[0], pair[1]
		err := clitest.Send(from.hub.Addr(t, "Default "+from.server), clitest.Mail{LocalIP: otherIP, TLS: true,
			User: from.user + "@" + from.domain, Password: from.user + "pw",
			From: from.user + "@" + from.domain, To: to.user + "@" + to.domain, Subject: "from " + from.domain})
		if err != nil {
			t.Fatalf("%s submits: %v", from.user, err)
		}
		msg := clitest.WaitMaildir(t, to.maildir, to.user+"@"+to.domain)
		if h := clitest.Header(t, msg); h.Get("Subject") != "from "+from.domain || !want(msg, to.fqdn) {
			t.Errorf("%s got:\n%s", to.user, msg)
		}
	}
	refusedRelay(t, contoso.hub.Addr(t, "Default HubA"))
}

// TestSourceTransportServerShortName: the seed names the source transport
// server "HubA", the short name; a hub running as -server HubA with its
// FQDN huba.contoso.com is that server and delivers through the connector
// itself rather than relaying to "HubA" as if it were another server.
func TestSourceTransportServerShortName(t *testing.T) {
	t.Parallel()
	gw := smtptest.NewSink(t)
	hub := gatewayHub(t, "gateway-anonymous-relay.ps1", gw, "-selfsigned", "-maildir", t.TempDir())
	if err := clitest.Send(hub.Addr(t, "FromInternetGateway"), clitest.Mail{From: "app@contoso.com", To: "eve@example.net"}); err != nil {
		t.Fatal(err)
	}
	clitest.WaitMessage(t, gw)
}
