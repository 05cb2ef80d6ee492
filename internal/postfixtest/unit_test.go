package postfixtest

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// These tests need neither root nor Postfix.

func TestMainCF(t *testing.T) {
	l := newLayout("/tmp/pftX")
	id := ids{postfixUID: 102, postfixGID: 105, postdropGID: 106, vmailUID: 65534, vmailGID: 65534}
	cert, key := "smtpd_tls_chain_files = /tmp/pftX/etc/key.pem, /tmp/pftX/etc/chain.pem", "smtpd_tls_auth_only"
	tests := []struct {
		name      string
		opts      []Option
		want      []string
		notWanted []string
	}{
		{
			name: "defaults",
			want: []string{
				"myhostname = " + DefaultHostname, "mydomain = postfixtest.example",
				"inet_interfaces = 127.0.0.1", "mydestination = \n",
				"queue_directory = /tmp/pftX/q", "maillog_file = /tmp/pftX/maillog",
				"smtpd_tls_security_level = none", "smtpd_sasl_auth_enable = no",
				"smtpd_relay_restrictions = reject_unauth_destination",
				"default_transport = error:", "debug_peer_list = 127.0.0.1",
			},
			notWanted: []string{"virtual_mailbox_domains", "relayhost", cert},
		},
		{
			name: "downstream",
			opts: []Option{WithHostname("MX.Fabrikam.Example."), WithMailboxDomains("Fabrikam.example", "b.example")},
			want: []string{
				"myhostname = mx.fabrikam.example", "virtual_mailbox_domains = fabrikam.example, b.example",
				"virtual_mailbox_maps = static:Maildir/", "virtual_uid_maps = static:65534",
			},
		},
		{
			name: "TLS required",
			opts: []Option{WithTLS(testCert(t)), RequireTLS()},
			want: []string{cert, "smtpd_tls_security_level = encrypt", "smtpd_tls_received_header = yes"},
		},
		{
			name: "smart host",
			opts: []Option{WithTLS(testCert(t)), WithSASLUser("u", "p"), WithRelayHost("127.0.0.1:2525")},
			want: []string{
				"relayhost = [127.0.0.1]:2525", "smtpd_sasl_type = cyrus", key + " = yes",
				"cyrus_sasl_config_path = /tmp/pftX/etc/sasl",
				"smtpd_recipient_restrictions = permit_sasl_authenticated, reject",
				"smtpd_tls_security_level = may",
			},
			notWanted: []string{"default_transport"},
		},
		{
			name: "SASL without TLS",
			opts: []Option{WithSASLUser("u", "p")},
			want: []string{key + " = no"},
		},
		{
			name: "override last",
			opts: []Option{WithMainCF("message_size_limit", "1000")},
			want: []string{"message_size_limit = 1000\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultOptions()
			for _, opt := range tt.opts {
				opt.apply(&o)
			}
			cf := l.mainCF(&o, id)
			for _, w := range tt.want {
				assert.Contains(t, cf, w)
			}
			for _, nw := range tt.notWanted {
				assert.NotContains(t, cf, nw)
			}
		})
	}
}

func TestMasterCF(t *testing.T) {
	cf := masterCF(2525)
	assert.True(t, strings.HasPrefix(cf, "127.0.0.1:2525 inet n - n - - smtpd\n"))
	for _, svc := range []string{"virtual", "postlog", "tlsmgr", "smtp", "qmgr"} {
		assert.Contains(t, cf, "\n"+svc+" ")
	}
}

func TestRelayHost(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:2525":       "[127.0.0.1]:2525",
		"[::1]:25":             "[::1]:25",
		"smtp.example.net:587": "[smtp.example.net]:587",
		"smtp.example.net":     "[smtp.example.net]",
		"[smtp.example.net]":   "[smtp.example.net]",
	} {
		assert.Equal(t, want, relayHost(in), in)
	}
}

func TestParentDomain(t *testing.T) {
	for in, want := range map[string]string{"mx.a.example": "a.example", "localhost": "localhost", "a.": "a."} {
		assert.Equal(t, want, parentDomain(in), in)
	}
}

const samplePostfixFiles = `# comment
$config_directory:d:root:-:755:u
$queue_directory:d:root:-:755:uc
$queue_directory/active:d:$mail_owner:-:700:ucr
$queue_directory/maildrop:d:$mail_owner:$setgid_group:730:uc
$queue_directory/pid:d:root:-:755:uc
$queue_directory/pid/master.pid:f:root:-:644
$queue_directory_other:d:root:-:755:uc
`

func TestParsePostfixFiles(t *testing.T) {
	dirs, err := parsePostfixFiles(strings.NewReader(samplePostfixFiles))
	require.NoError(t, err)
	assert.Equal(t, []queueDir{
		{name: "", owner: "root", group: "-", mode: 0o755},
		{name: "active", owner: "$mail_owner", group: "-", mode: 0o700},
		{name: "maildrop", owner: "$mail_owner", group: "$setgid_group", mode: 0o730},
		{name: "pid", owner: "root", group: "-", mode: 0o755},
	}, dirs)

	for _, bad := range []string{
		"$queue_directory/x:d:root:-:9:u",
		"$queue_directory/../etc:d:root:-:755:u",
		"$queue_directory/$x:d:root:-:755:u",
		"$queue_directory/a//b:d:root:-:755:u",
	} {
		_, err := parsePostfixFiles(strings.NewReader(bad))
		assert.Error(t, err, bad)
	}
	_, _, err = (queueDir{owner: "nobody", group: "-"}).ids(ids{})
	assert.Error(t, err)
	_, _, err = (queueDir{owner: "root", group: "wheel"}).ids(ids{})
	assert.Error(t, err)
}

func FuzzParsePostfixFiles(f *testing.F) {
	f.Add(samplePostfixFiles)
	f.Add("$queue_directory/x:d:root:-:7777:u")
	f.Add("$queue_directory/:d:root:-:755")
	f.Fuzz(func(t *testing.T, s string) {
		dirs, err := parsePostfixFiles(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, d := range dirs {
			// "..0" is a name of its own; only a ".." element climbs out.
			if d.mode > 0o7777 || d.name != "" && !filepath.IsLocal(d.name) { // "": the queue directory
				t.Fatalf("unsafe entry %+v", d)
			}
		}
	})
}

const sampleLog = `Nov 23 01:04:15 mx postfix/master[1]: daemon started -- version 3.7.11
Nov 23 01:04:15 mx postfix/smtpd[7]: < unknown[127.0.0.1]: EHLO client.example
Nov 23 01:04:15 mx postfix/smtpd[7]: > unknown[127.0.0.1]: 250-mx.example
Nov 23 01:04:15 mx postfix/smtpd[7]: < unknown[127.0.0.1]: STARTTLS
Nov 23 01:04:15 mx postfix/smtpd[7]: < localhost[127.0.0.1]: AUTH PLAIN AHUAcA==
Nov 23 01:04:15 mx postfix/smtp[9]: < mail.example[10.0.0.1]:25: 250 ok
Nov 23 01:04:15 mx postfix/smtpd[7]: disconnect from unknown[127.0.0.1] ehlo=2 starttls=1 auth=1 commands=4
Nov 23 01:04:16 mx postfix/smtpd[7]: disconnect from unknown[127.0.0.1] quit=1 commands=1
`

func TestLogParsing(t *testing.T) {
	in := &Instance{t: t, dir: newLayout(t.TempDir())}
	assert.Empty(t, in.Log())
	require.NoError(t, os.WriteFile(in.dir.maillog, []byte(sampleLog), 0o644))
	assert.Equal(t, []string{"EHLO client.example", "STARTTLS", "AUTH PLAIN AHUAcA=="}, in.Commands())
	assert.Equal(t, []string{"ehlo=2 starttls=1 auth=1 commands=4", "quit=1 commands=1"}, in.Disconnects())
	got, err := in.WaitDisconnects(t.Context(), 2)
	require.NoError(t, err)
	assert.Len(t, got, 2)
	assert.Equal(t, "b\nc\n", tail("a\nb\nc\n", 3))
}

func FuzzLogParsing(f *testing.F) {
	f.Add(sampleLog)
	f.Add("smtpd[1]: < x[::1]: QUIT\ndisconnect from ] \n")
	f.Fuzz(func(t *testing.T, log string) {
		in := &Instance{t: t, dir: newLayout(t.TempDir())}
		if err := os.WriteFile(in.dir.maillog, []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range in.Commands() {
			if !strings.Contains(log, c) || strings.Contains(c, "\n") {
				t.Fatalf("command %q not a line suffix", c)
			}
		}
		for _, d := range in.Disconnects() {
			if !strings.Contains(log, d) {
				t.Fatalf("summary %q not in log", d)
			}
		}
	})
}

func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	c, err := smtptest.SelfSigned("mx.example")
	require.NoError(t, err)
	return c
}
