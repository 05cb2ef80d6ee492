//go:build interop

package interop_test

import (
	"bufio"
	"encoding/base64"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// clientSubmission is hubedge with a Client-usage receive connector (TLS,
// BasicAuth, BasicAuthRequireTLS, Exchange users) and a send connector
// relaying fabrikam.example to a recording sink.
func clientSubmission(t *testing.T) (addr, ca string, sink *smtptest.Sink) {
	t.Helper()
	pki := smtptest.NewPKI(t)
	sink = smtptest.NewSink(t, smtptest.NoSTARTTLS())
	out := smtptest.SendConnector(t, "To Fabrikam", connector.UsageInternet, "fabrikam.example", smtptest.SmartHost(sink))
	tr := startTransport(t,
		transport.WithReceiveConnector(smtptest.ReceiveConnector(t, "Client", connector.UsageClient, func(c *connector.ReceiveConfig) {
			c.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
		})),
		transport.WithSendConnector(out),
		transport.WithServerOptions(smtpx.WithTLSCertificate(pki.Certificate(hubName))),
		transport.WithServerOptions(smtpx.WithAuthenticator(users())))
	return tr.Addr("Client").String(), writeCA(t, pki), sink
}

func TestSwaksSubmission(t *testing.T) {
	t.Parallel()
	addr, ca, sink := clientSubmission(t)
	ctx := testContext(t)
	tlsArgs := []string{"--tls", "--tls-verify", "--tls-ca-path", ca}
	msg := []string{"--from", user + "@contoso.example", "--to", "bob@fabrikam.example"}
	tests := []struct {
		name     string
		args     []string
		exit     int
		want     []string // regular expressions the transcript must match
		notWant  []string
		accepted bool
	}{{
		name: "STARTTLS and AUTH PLAIN",
		args: append(append([]string{"--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
			"--header", "Subject: swaks PLAIN"}, tlsArgs...), msg...),
		want: []string{`(?m)^ -> STARTTLS`, `(?m)^<-  220 `, `(?m)^ ~> AUTH PLAIN `, `(?m)^<~  235 2\.[07]\.0 `,
			`(?m)^<~  250 2\.6\.0 `},
		notWant:  []string{`(?m)^ -> AUTH`},
		accepted: true,
	}, {
		name: "STARTTLS and AUTH LOGIN",
		args: append(append([]string{"--auth", "LOGIN", "--auth-user", user, "--auth-password", password,
			"--header", "Subject: swaks LOGIN"}, tlsArgs...), msg...),
		want:     []string{`(?m)^ ~> AUTH LOGIN`, `(?m)^<~  235 2\.[07]\.0 `, `(?m)^<~  250 2\.6\.0 `},
		accepted: true,
	}, {
		name:    "no AUTH offered before STARTTLS",
		args:    append([]string{"--auth", "PLAIN", "--auth-user", user, "--auth-password", password}, msg...),
		exit:    28,
		want:    []string{`(?m)^<-  250-STARTTLS`, `Host did not advertise authentication`},
		notWant: []string{`(?m)^<-  250.AUTH`, `(?m)^ -> AUTH`, `(?m)^ -> MAIL`},
	}, {
		name:    "wrong password over TLS",
		args:    append(append([]string{"--auth", "PLAIN", "--auth-user", user, "--auth-password", "wrong"}, tlsArgs...), msg...),
		exit:    28,
		want:    []string{`(?m)^<~\* 535 5\.7\.8 `},
		notWant: []string{`(?m)^ ~> MAIL`},
	}, {
		name:    "no AUTH over TLS: submission refused",
		args:    append(append([]string{}, tlsArgs...), msg...),
		exit:    23,
		want:    []string{`(?m)^<~\* 530 5\.7\.1 `},
		notWant: []string{`(?m)^ ~> RCPT`},
	}}
	delivered := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := swaks(ctx, t, addr, tt.args...)
			if r.code != tt.exit {
				t.Errorf("swaks exit %d, want %d", r.code, tt.exit)
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(r.output) {
					t.Errorf("transcript lacks %s", re)
				}
			}
			for _, re := range tt.notWant {
				if regexp.MustCompile(re).MatchString(r.output) {
					t.Errorf("transcript has %s", re)
				}
			}
		})
		if tt.accepted {
			delivered++
		}
	}

	msgs, err := sink.WaitMessages(ctx, delivered)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, m := range msgs {
		subjects[m.Header.Get("Subject")] = true
		if m.From != user+"@contoso.example" || len(m.To) != 1 || m.To[0] != "bob@fabrikam.example" {
			t.Errorf("envelope %q -> %q", m.From, m.To)
		}
		if rcv := m.Header.Get("Received"); !strings.Contains(rcv, "by "+hubName+" with ESMTPSA id ") {
			t.Errorf("Received: %s", rcv)
		}
	}
	if !subjects["swaks PLAIN"] || !subjects["swaks LOGIN"] || len(msgs) != delivered {
		t.Errorf("relayed subjects %v (%d messages)", subjects, len(msgs))
	}
}

// swaks cannot send AUTH the server did not advertise, so the 538 reply to
// AUTH before STARTTLS (RFC 4954 §6) is checked on the raw protocol.
func TestAuthBeforeTLSRefused538(t *testing.T) {
	t.Parallel()
	addr, _, _ := clientSubmission(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		var last string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v", cmd, err)
			}
			if last = strings.TrimRight(line, "\r\n"); len(last) < 4 || last[3] != '-' {
				return last
			}
		}
	}
	reply("")
	reply("EHLO client.contoso.example")
	initial := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if got := reply("AUTH PLAIN " + initial); !strings.HasPrefix(got, "538 5.7.11 ") {
		t.Fatalf("AUTH PLAIN before STARTTLS: %q", got)
	}
	if got := reply("AUTH LOGIN"); !strings.HasPrefix(got, "538 5.7.11 ") {
		t.Fatalf("AUTH LOGIN before STARTTLS: %q", got)
	}
}

func TestSwaksAnonymousRelayRefused(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	tr := startTransport(t, transport.WithReceiveConnector(smtptest.ReceiveConnector(t, "From Internet", connector.UsageInternet)))
	addr := tr.Addr("From Internet").String()
	for _, rcpt := range []string{"eve@fabrikam.example", "eve%fabrikam.example@contoso.example", "@contoso.example:eve@fabrikam.example"} {
		t.Run(rcpt, func(t *testing.T) {
			r := swaks(ctx, t, addr, "--from", "mallory@example.net", "--to", rcpt)
			if r.code != 24 {
				t.Errorf("swaks exit %d, want 24 (no RCPT accepted)", r.code)
			}
			if !regexp.MustCompile(`(?m)^<\*\* 550 5\.7\.1 `).MatchString(r.output) {
				t.Error("transcript lacks 550 5.7.1")
			}
			if strings.Contains(r.output, " -> DATA") {
				t.Error("swaks got as far as DATA")
			}
		})
	}
}
