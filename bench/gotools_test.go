package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Go source delivers every message to the Go sink, with and without
// reuse and STARTTLS, and the sink counts them (and the TLS ones).
func TestGoSourceToGoSink(t *testing.T) {
	pki, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(pki.Cert, pki.Key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	tests := []struct {
		name       string
		reuse, tls bool
		groups     string
		agreed     tls.CurveID // with tls: the key exchange of every handshake
	}{
		{"new connection", false, false, "", 0},
		{"reuse", true, false, "", 0},
		{"starttls", false, true, groupsGo, tls.X25519MLKEM768},
		{"starttls reuse", true, true, groupsGo, tls.X25519MLKEM768},
		{"starttls, an OpenSSL 3.0 client's groups", false, true, groupsOpenSSL30, tls.X25519},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			s := &goSink{}
			g := &goSource{addr: ln.Addr().String(), sessions: 3, msgs: 10, rcpts: 2, reuse: tt.reuse,
				helo: "test.example", from: "a@example.com", to: "b@example.net", body: messageBody(5000)}
			if tt.tls {
				s.tls = &tls.Config{Certificates: []tls.Certificate{pair}}
				g.tls = &tls.Config{RootCAs: roots, ServerName: benchServerName, CurvePreferences: clientGroups(tt.groups)}
			}
			go func() { _ = s.serve(ln) }()
			if err := g.run(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantTLS := int64(0)
			if tt.tls {
				wantTLS = 10
			}
			// A message per connection, or with reuse at most one per
			// session (a session finding nothing left opens none); every
			// one has ended with QUIT once run returns.
			sess := s.sess.Load()
			okSess := sess == 10
			if tt.reuse {
				okSess = sess >= 1 && sess <= 3
			}
			if s.mesg.Load() != 10 || s.tlsMsg.Load() != wantTLS || !okSess || s.quit.Load() != sess {
				t.Errorf("sink counted %s; want mesg=10 tls=%d, sessions all quit", s.record(), wantTLS)
			}
			if n, ok := parseSinkCount([]byte(s.record())); !ok || n != 10 {
				t.Errorf("parseSinkCount(record) = %d, %v", n, ok)
			}
			if tt.tls && (len(g.groups) != 1 || g.groups[tt.agreed] != int(sess)) {
				t.Errorf("handshakes by key exchange %v, want all %d %v", g.groups, sess, tt.agreed)
			}
		})
	}
}

// A sink without a certificate refuses STARTTLS, and the source reports it.
func TestGoSourceSTARTTLSRefused(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { _ = (&goSink{}).serve(ln) }()
	g := &goSource{addr: ln.Addr().String(), sessions: 1, msgs: 1, rcpts: 1, helo: "x", body: messageBody(10),
		tls: &tls.Config{ServerName: benchServerName}}
	if err := g.run(context.Background()); err == nil || !strings.Contains(err.Error(), "454") {
		t.Errorf("run = %v, want the 454 refusal", err)
	}
}

func TestParseVariants(t *testing.T) {
	def := variant{Tools: toolsPostfix, Key: keyECDSA}
	tests := []struct {
		spec    string
		tls     bool
		want    []variant
		wantErr string
	}{
		{"", false, []variant{def}, ""},
		{"tools=go", false, []variant{{Tools: toolsGo, Key: keyECDSA}}, ""},
		{"tools=postfix tools=go", false, []variant{{Label: "tools=postfix", Tools: toolsPostfix, Key: keyECDSA},
			{Label: "tools=go", Tools: toolsGo, Key: keyECDSA}}, ""},
		{"tools=go,key=rsa gw=/x,tools=go", false, []variant{{Label: "tools=go,key=rsa", Tools: toolsGo, Key: keyRSA},
			{Label: "gw=/x,tools=go", Tools: toolsGo, Key: keyECDSA, Gateway: "/x"}}, ""},
		{"", true, nil, "needs TOOLS=go"},
		{"tools=go tools=postfix", true, nil, "needs tools=go"},
		{"key=dsa", false, nil, "bad setting"},
		{"cmd=off cmd=on,scrape=/metrics milter=rspamd", false, []variant{
			{Label: "cmd=off", Tools: toolsPostfix, Key: keyECDSA, RelayCmd: "relay -a"},
			{Label: "cmd=on,scrape=/metrics", Tools: toolsPostfix, Key: keyECDSA, RelayCmd: "relay -b", Scrape: "/metrics"},
			{Label: "milter=rspamd", Tools: toolsPostfix, Key: keyECDSA, Milter: milterRspamd}}, ""},
		{"cmd=missing", false, nil, "RELAY_CMD_missing is empty"},
		{"scrape=metrics", false, nil, "bad setting"},
		{"milter=clamav", false, nil, "bad setting"},
		{"groups=go groups=openssl30", false, []variant{{Label: "groups=go", Tools: toolsPostfix, Key: keyECDSA, Groups: groupsGo},
			{Label: "groups=openssl30", Tools: toolsPostfix, Key: keyECDSA, Groups: groupsOpenSSL30}}, ""},
		{"groups=x448", false, nil, "bad setting"},
	}
	env := envOf(map[string]string{"RELAY_CMD_off": "relay -a", "RELAY_CMD_on": " relay -b "})
	for _, tt := range tests {
		got, err := parseVariants(tt.spec, def, tt.tls, env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseVariants(%q, %v) error %v, want %q", tt.spec, tt.tls, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("parseVariants(%q) = %v, %v", tt.spec, got, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseVariants(%q)[%d] = %+v, want %+v", tt.spec, i, got[i], tt.want[i])
			}
		}
	}
}

// Both key types give a chain the Go client verifies for the bench name.
func TestWritePKI(t *testing.T) {
	for _, kt := range []string{keyECDSA, keyRSA} {
		dir := filepath.Join(t.TempDir(), kt)
		f, err := writePKI(dir, kt)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		caPEM, _ := os.ReadFile(f.CA)
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: benchServerName, Roots: roots}); err != nil {
			t.Errorf("%s: %v", kt, err)
		}
		if len(pair.Certificate) != 2 {
			t.Errorf("%s: chain of %d, want leaf and CA", kt, len(pair.Certificate))
		}
	}
}

// Against a certificate from another CA the checking client refuses the
// handshake and the opportunistic one (TLS_VERIFY=0) delivers.
func TestGoSourceNoVerify(t *testing.T) {
	trusted, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	other, err := writePKI(t.TempDir(), keyECDSA)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(other.Cert, other.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, noVerify := range []bool{false, true} {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s := &goSink{tls: &tls.Config{Certificates: []tls.Certificate{pair}}}
		go func() { _ = s.serve(ln) }()
		cfg, err := clientTLS(trusted.CA, groupsGo, noVerify)
		if err != nil {
			t.Fatal(err)
		}
		g := &goSource{addr: ln.Addr().String(), sessions: 1, msgs: 2, rcpts: 1, helo: "x", body: messageBody(10), tls: cfg}
		err = g.run(context.Background())
		var unknown x509.UnknownAuthorityError
		switch {
		case noVerify && (err != nil || s.tlsMsg.Load() != 2):
			t.Errorf("noVerify: run = %v, sink counted %s; want 2 messages under TLS", err, s.record())
		case !noVerify && !errors.As(err, &unknown):
			t.Errorf("checking: run = %v, want x509.UnknownAuthorityError", err)
		}
	}
}

// With chunking the Go sink offers CHUNKING and counts a message sent as
// BDAT chunks once, at its LAST chunk, skipping the chunks' octets.
func TestGoSinkChunking(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &goSink{chunking: true}
	go func() { _ = s.serve(ln) }()
	c, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	// Pipelined as the deliverer sends it; the chunks hold what would be
	// commands if they were read as lines.
	if _, err := io.WriteString(c, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 6\r\nQUIT\r\nBDAT 8 LAST\r\nRSET\r\n\r\nQUIT\r\n"); err != nil {
		t.Fatal(err)
	}
	var replies []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			break
		}
		replies = append(replies, strings.TrimSpace(line))
	}
	all := strings.Join(replies, "|")
	if !strings.Contains(all, "250-CHUNKING") || !strings.HasSuffix(all, "250 2.0.0 Ok: chunk received|250 2.0.0 Ok: queued|221 2.0.0 Bye") {
		t.Errorf("replies %q", replies)
	}
	if s.mesg.Load() != 1 || s.quit.Load() != 1 {
		t.Errorf("sink counted %s; want one message and one QUIT", s.record())
	}
}
