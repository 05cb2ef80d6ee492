package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubedge/hubedge/internal/clitest"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

type forest struct {
	fqdn, domain, user, account string // account: the other forest's login here
}

var (
	contoso      = forest{"huba.contoso.com", "contoso.com", "alice", `CONTOSO\fourthcoffee`}
	fourthcoffee = forest{"hub1.fourthcoffee.com", "fourthcoffee.com", "dave", `FOURTHCOFFEE\contoso`}
)

// Two forests on loopback exchange mail both ways in each mode. Users submit
// from 127.0.0.2 so that, in external mode, only the other forest's hub
// (127.0.0.1) matches the "Cross-Forest" receive connector.
func TestCrossForest(t *testing.T) {
	for _, mode := range []string{"basic-tls", "basic-requiretls", "external"} {
		t.Run(mode, func(t *testing.T) {
			pki := smtptest.NewPKI(t)
			dns := mxtest.NewDNS(t, mxtest.A(contoso.fqdn, "127.0.0.1"), mxtest.A(fourthcoffee.fqdn, "127.0.0.1"))
			ports := map[string]string{contoso.fqdn: clitest.FreePort(t), fourthcoffee.fqdn: clitest.FreePort(t)}
			mailboxes := map[string]string{}
			addrs := map[string]string{}
			for _, pair := range [][2]forest{{contoso, fourthcoffee}, {fourthcoffee, contoso}} {
				me, other := pair[0], pair[1]
				cert, key, ca := clitest.WritePKI(t, pki, me.fqdn)
				mailboxes[me.domain] = t.TempDir()
				s := clitest.Start(t, run, "-mode", mode, "-fqdn", me.fqdn, "-listen", "127.0.0.1:"+ports[me.fqdn],
					"-domains", me.domain, "-maildir", mailboxes[me.domain], "-queue", t.TempDir(),
					"-remote-domain", other.domain, "-remote-hubs", other.fqdn+":"+ports[other.fqdn], "-remote-ip", "127.0.0.1",
					"-remote-user", other.account, "-password-file", clitest.WriteFile(t, "pw", "pw-"+other.account+"\n"),
					"-users", clitest.WriteUsers(t, clitest.User{Name: me.user + "@" + me.domain, Password: me.user + "pw"},
						clitest.User{Name: me.account, Password: "pw-" + me.account, Groups: "Exchange Servers"}),
					"-cert", cert, "-key", key, "-ca", ca, "-dns", dns.Addr(), "-log", "warn")
				addrs[me.domain] = s.Addr(t, "Default "+me.fqdn)
			}
			for _, pair := range [][2]forest{{contoso, fourthcoffee}, {fourthcoffee, contoso}} {
				from, to := pair[0], pair[1]
				err := clitest.Send(addrs[from.domain], clitest.Mail{LocalIP: "127.0.0.2", TLS: true,
					User: from.user + "@" + from.domain, Password: from.user + "pw",
					From: from.user + "@" + from.domain, To: to.user + "@" + to.domain, Subject: "from " + from.domain})
				if err != nil {
					t.Fatalf("%s submits: %v", from.user, err)
				}
				msg := clitest.WaitMaildir(t, mailboxes[to.domain], to.user+"@"+to.domain)
				// The cross-forest hop: TLS and a login in the Basic modes
				// (ESMTPSA, UTF8SMTPSA as net/smtp asks for SMTPUTF8),
				// Externally Secured (AuthMechanism 03) otherwise.
				want := "by " + to.fqdn + " with UTF8SMTPSA"
				if mode == "external" {
					want = "X-MS-Exchange-Organization-AuthMechanism: 03"
				}
				if !strings.Contains(msg, "Subject: from "+from.domain) || !strings.Contains(msg, want) {
					t.Errorf("%s got (want %q):\n%s", to.user, want, msg)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-mode", "nope"}, {"-mode", "external"}, {"-mode", "basic-tls"},
		{"-mode", "basic-requiretls", "-tls-auth-level", "Strict"}, {"-mode", "basic-tls", "-tls-auth-level", "CertificateValidation"}} {
		if err := run(t.Context(), args, &strings.Builder{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// basic-requiretls sends the forest's credentials to a peer whose
// certificate is not checked, unless -tls-auth-level asks for checks.
func TestRequireTLSAuthLevel(t *testing.T) {
	for _, tt := range []struct {
		level     string
		delivered bool
	}{{"", true}, {"CertificateValidation", false}} {
		t.Run("level="+tt.level, func(t *testing.T) {
			untrusted, err := smtptest.SelfSigned(fourthcoffee.fqdn)
			if err != nil {
				t.Fatal(err)
			}
			peer := smtptest.NewSink(t, smtptest.WithTLS(untrusted), smtptest.RequireTLS(), smtptest.RequireAuth(fourthcoffee.account, "secret"))
			_, port, _ := net.SplitHostPort(peer.Addr())
			dns := mxtest.NewDNS(t, mxtest.A(fourthcoffee.fqdn, "127.0.0.1"))
			cert, key, ca := clitest.WritePKI(t, smtptest.NewPKI(t), contoso.fqdn)
			s := clitest.Start(t, run, "-mode", "basic-requiretls", "-tls-auth-level", tt.level, "-fqdn", contoso.fqdn,
				"-listen", "127.0.0.1:0", "-domains", contoso.domain, "-maildir", t.TempDir(), "-queue", t.TempDir(),
				"-remote-domain", fourthcoffee.domain, "-remote-hubs", fourthcoffee.fqdn+":"+port,
				"-remote-user", fourthcoffee.account, "-password-file", clitest.WriteFile(t, "pw", "secret\n"),
				"-users", clitest.WriteUsers(t, clitest.User{Name: "alice@contoso.com", Password: "alicepw"}),
				"-cert", cert, "-key", key, "-ca", ca, "-dns", dns.Addr(), "-log", "debug")
			err = clitest.Send(s.Addr(t, "Default "+contoso.fqdn), clitest.Mail{TLS: true, User: "alice@contoso.com", Password: "alicepw",
				From: "alice@contoso.com", To: "dave@fourthcoffee.com", Subject: "secret plans"})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.delivered {
				s.WaitOutput(t, "certificate signed by unknown authority")
				if n := len(peer.Messages()); n != 0 {
					t.Fatalf("the untrusted peer got %d messages", n)
				}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			msgs, err := peer.WaitMessages(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if msgs[0].AuthUser != fourthcoffee.account {
				t.Errorf("peer got %+v", msgs[0])
			}
		})
	}
}
