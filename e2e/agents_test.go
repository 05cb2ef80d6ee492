package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/milter"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
	"github.com/hubedge/hubedge/agent/recipientfilter"
	"github.com/hubedge/hubedge/agent/senderid"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dkim"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// edgeWith starts an Internet-facing transport running the agents add
// registers, and returns its address and the recorder of what it queued.
func edgeWith(t *testing.T, add func(chain *agent.Chain) error) (string, *smtptest.Recorder) {
	t.Helper()
	chain := agent.New(agent.WithLogger(quietLog()))
	if err := add(chain); err != nil {
		t.Fatal(err)
	}
	tr, rec := startTransport(t, transport.WithReceiveConnector(smtptest.InternetConnector(t)), transport.WithAgents(chain))
	return addr(t, tr, "From Internet"), rec
}

const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// A client whose address a DNS block list names is refused at RCPT, with
// the provider's text, after MAIL was accepted (so the sender and
// recipient are logged); postmaster still gets its mail.
func TestAgentBlockListedIPRefusedAtRcpt(t *testing.T) {
	dns := mxtest.NewDNS(t,
		mxtest.A(connectionfilter.QueryName(netip.MustParseAddr("127.0.0.1"), "bl.example"), "127.0.0.2"))
	a, rec := edgeWith(t, func(chain *agent.Chain) error {
		f, err := connectionfilter.New(connectionfilter.Config{
			BlockListProviders: []connectionfilter.Provider{{Name: "Test BL", LookupDomain: "bl.example", AnyMatch: true,
				RejectionResponse: "Listed by bl.example"}},
			BypassedRecipients: []string{"postmaster@contoso.com"},
			DNSServers:         []string{dns.Addr()},
			Logger:             quietLog(),
		})
		if err != nil {
			return err
		}
		return chain.Register(connectionfilter.Name, f, agent.Priority(connectionfilter.Priority))
	})
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "550 5.7.1 Listed by bl.example"},
		smtptest.Step{"RCPT TO:<postmaster@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("Subject: let me in"), "250 2.6.0"})
	if d := rec.Wait(t); len(d.Rcpts) != 1 || d.Rcpts[0] != "postmaster@contoso.com" {
		t.Fatalf("delivered to %v", d.Rcpts)
	}
}

// directory is a recipient directory of a few mailboxes.
type directory map[string]bool

func (d directory) Lookup(_ context.Context, addr string) (bool, error) {
	return d[strings.ToLower(addr)], nil
}

// The Recipient Filter refuses a recipient the directory does not have.
func TestAgentUnknownRecipient(t *testing.T) {
	domains, err := routing.NewAcceptedDomains(contoso)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := edgeWith(t, func(chain *agent.Chain) error {
		f, err := recipientfilter.New(recipientfilter.Config{RecipientValidationEnabled: true,
			Directory: directory{"bob@contoso.com": true}, AcceptedDomains: domains})
		if err != nil {
			return err
		}
		return chain.Register(recipientfilter.Name, f, agent.Priority(recipientfilter.Priority))
	})
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<nobody@contoso.com>", "550 5.1.1"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"})
}

// A sender whose domain's SPF record does not allow the client's address
// is refused by the Sender ID agent set to Reject, and nothing is queued.
func TestAgentSPFFailRejected(t *testing.T) {
	dns := mxtest.NewDNS(t, mxtest.TXT("fabrikam.com", "v=spf1 ip4:192.0.2.1 -all"))
	a, rec := edgeWith(t, func(chain *agent.Chain) error {
		f := senderid.New(senderid.Config{Hostname: serverName, SpoofedDomainAction: senderid.Reject, Resolver: dns.Resolver()})
		return chain.Register(senderid.Name, f, agent.Priority(senderid.Priority))
	})
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
		smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
		smtptest.Step{"DATA:" + message("From: x@fabrikam.com", "Subject: spoofed"), senderid.ReplyFail.String()})
	if n := rec.Pending(); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}

// GTUBE goes through real rspamd over the milter protocol; its score
// becomes the SCL, and the Content Filter quarantines the message at SCL 9
// (or deletes it, answering 250 and queuing nothing).
func TestAgentRspamdGTUBE(t *testing.T) {
	dns := mxtest.NewDNS(t)
	rs := miltertest.StartRspamd(t, dns.Addr()) // skips where rspamd is not installed
	setup := func(cfg contentfilter.Config) func(chain *agent.Chain) error {
		return func(chain *agent.Chain) error {
			m, err := milter.New(milter.Config{Name: "rspamd", Network: "tcp", Address: rs.Addr, Timeout: miltertest.StartupTimeout,
				Hostname: serverName, ScoreOnly: true, Logger: quietLog()})
			if err != nil {
				return err
			}
			if err := milter.Register(chain, m, agent.Priority(0)); err != nil {
				return err
			}
			f, err := contentfilter.New(cfg)
			if err != nil {
				return err
			}
			return chain.Register(contentfilter.Name, f, agent.Priority(contentfilter.Priority))
		}
	}
	spam := message("From: x@fabrikam.com", "To: bob@contoso.com", "Subject: GTUBE", "Message-ID: <gtube@fabrikam.com>",
		"Date: Sun, 06 Dec 2026 21:00:00 +0000") + gtube + "\r\n"
	t.Run("quarantined at SCL 9", func(t *testing.T) {
		cfg := contentfilter.DefaultConfig()
		cfg.SCLRejectEnabled = false
		cfg.SCLQuarantineEnabled, cfg.SCLQuarantineThreshold, cfg.QuarantineMailbox = true, 9, "quarantine@contoso.com"
		a, rec := edgeWith(t, setup(cfg))
		r := dialRspamdEdge(t, a)
		smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
			smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"}, smtptest.Step{"DATA:" + spam, "250 2.6.0"})
		d := rec.Wait(t)
		if len(d.Rcpts) != 1 || d.Rcpts[0] != "quarantine@contoso.com" || !strings.Contains(d.Body, agent.SCLHeader+": 9\r\n") {
			t.Fatalf("delivered to %v:\n%s", d.Rcpts, d.Body)
		}
	})
	t.Run("deleted at SCL 9", func(t *testing.T) {
		cfg := contentfilter.DefaultConfig()
		cfg.SCLRejectEnabled = false
		cfg.SCLDeleteEnabled, cfg.SCLDeleteThreshold = true, 9
		a, rec := edgeWith(t, setup(cfg))
		r := dialRspamdEdge(t, a)
		smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"},
			smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"}, smtptest.Step{"DATA:" + spam, "250 2.6.0"},
			// A clean message after it is delivered: the spam was not.
			smtptest.Step{"MAIL FROM:<x@fabrikam.com>", "250"}, smtptest.Step{"RCPT TO:<bob@contoso.com>", "250"},
			smtptest.Step{"DATA:" + message("From: x@fabrikam.com", "Subject: ham", "Message-ID: <ham@fabrikam.com>"), "250 2.6.0"})
		if d := rec.Wait(t); !strings.Contains(d.Body, "Subject: ham") {
			t.Fatalf("delivered:\n%s", d.Body)
		}
	})
}

// dialRspamdEdge connects to an edge whose milter is rspamd: the milter
// connection is made before the greeting, and a freshly started rspamd
// may take long to answer its first one on a loaded machine.
func dialRspamdEdge(t *testing.T, a string) *smtptest.Client {
	t.Helper()
	r, banner := smtptest.Dial(t, a, smtptest.ClientTimeout(miltertest.StartupTimeout))
	if !strings.HasPrefix(banner, "220 ") {
		t.Fatalf("banner %q", banner)
	}
	return r
}

// A message from an organization domain leaves the edge DKIM-signed, and
// the signature verifies at the Internet MTA against the key published in
// DNS.
func TestAgentOutboundDKIMVerifiesAtTheSink(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "edge1", Signer: priv})
	if err != nil {
		t.Fatal(err)
	}
	txt, err := dkim.KeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	dns := mxtest.NewDNS(t, mxtest.TXT("edge1._domainkey.contoso.com", txt...))
	sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
	l := newQlog()
	a, _ := relayHub(t, l, []func(*connector.SendConfig){smtptest.SmartHost(sink)},
		transport.WithDeliverOptions(deliver.WithDKIM(signer, "To Fabrikam")))
	r, _ := smtptest.Dial(t, a)
	smtptest.Expect(t, r, smtptest.Step{"EHLO client.example", "250"}, smtptest.Step{"MAIL FROM:<alice@contoso.com>", "250"},
		smtptest.Step{"RCPT TO:<x@fabrikam.com>", "250"},
		smtptest.Step{"DATA:" + message("From: alice@contoso.com", "To: x@fabrikam.com", "Subject: signed",
			"Message-ID: <signed@contoso.com>", "X-MS-Exchange-Organization-SCL: -1"), "250 2.6.0"})
	got := sink.Wait(t, 1)
	body := got[0].Body
	if !bytes.Contains(body, []byte("DKIM-Signature:")) || bytes.Contains(body, []byte("X-MS-Exchange-Organization")) {
		t.Fatalf("at the sink:\n%s", body)
	}
	v := &dkim.Verifier{Hostname: "mx.fabrikam.com", Resolver: dns.Resolver()}
	vs, err := v.Verify(t.Context(), bytes.NewReader(body))
	if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "contoso.com" {
		t.Fatalf("verification %+v, %v", vs, err)
	}
}
