package main

import (
	"strings"
	"testing"

	"github.com/hubedge/hubedge/examples/internal/clitest"
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
			dns := smtptest.NewDNS(t, smtptest.A(contoso.fqdn, "127.0.0.1"), smtptest.A(fourthcoffee.fqdn, "127.0.0.1"))
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
				// (ESMTPSA), Externally Secured (AuthMechanism 03) otherwise.
				want := "by " + to.fqdn + " with ESMTPSA"
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
	for _, args := range [][]string{{"-mode", "nope"}, {"-mode", "external"}, {"-mode", "basic-tls"}} {
		if err := run(t.Context(), args, &strings.Builder{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
