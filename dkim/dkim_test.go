package dkim_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/dkim"
	"github.com/hubedge/hubedge/mx/mxtest"
)

// keyRecord publishes pub at name.
func keyRecord(t testing.TB, name string, pub crypto.PublicKey) mxtest.Record {
	txt, err := dkim.KeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	return mxtest.TXT(name, txt...)
}

const message = "From: Alice <alice@Contoso.com>\r\nTo: bob@fabrikam.com\r\nSubject: hello\r\nDate: Sun, 06 Dec 2026 21:00:00 +0000\r\nMessage-ID: <1@contoso.com>\r\n\r\nHello Bob.\r\n"

func TestSignAndVerify(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	d := mxtest.NewDNS(t,
		keyRecord(t, "ed._domainkey.contoso.com", edKey.Public()),
		keyRecord(t, "rsa._domainkey.sales.fabrikam.com", rsaKey.Public()),
	)
	s, err := dkim.NewSigner(
		dkim.Key{Domain: "contoso.com", Selector: "ed", Signer: edKey},
		dkim.Key{Domain: "sales.fabrikam.com", Selector: "rsa", Signer: rsaKey},
	)
	if err != nil {
		t.Fatal(err)
	}
	v := &dkim.Verifier{Hostname: "mx.fabrikam.com", Resolver: d.Resolver()}
	tests := []struct {
		name, msg string
		signed    bool
		tamper    func(string) string
		want      authres.ResultValue
		domain    string
	}{
		{name: "ed25519", msg: message, signed: true, want: authres.ResultPass, domain: "contoso.com"},
		{name: "rsa, subdomain key for a deeper From", msg: strings.Replace(message, "alice@Contoso.com", "a@eu.sales.fabrikam.com", 1), signed: true, want: authres.ResultPass, domain: "sales.fabrikam.com"},
		{name: "body changed", msg: message, signed: true, tamper: func(m string) string { return strings.Replace(m, "Hello Bob", "Pay me", 1) }, want: authres.ResultFail, domain: "contoso.com"},
		{name: "subject changed", msg: message, signed: true, tamper: func(m string) string { return strings.Replace(m, "Subject: hello", "Subject: urgent", 1) }, want: authres.ResultFail, domain: "contoso.com"},
		{name: "no key for the domain", msg: strings.Replace(message, "Contoso.com", "tailspin.example", 1), want: authres.ResultNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, ok, err := s.Signature(strings.NewReader(tt.msg))
			if err != nil || ok != tt.signed {
				t.Fatalf("Signature: ok %v, %v", ok, err)
			}
			signed := field + tt.msg
			if tt.tamper != nil {
				signed = tt.tamper(signed)
			}
			vs, err := v.Verify(t.Context(), strings.NewReader(signed))
			if err != nil {
				t.Fatal(err)
			}
			rs := dkim.Results(vs)
			r := rs[0].(*authres.DKIMResult)
			if len(rs) != 1 || r.Value != tt.want || r.Domain != tt.domain {
				t.Errorf("results %+v, want %s for %q", r, tt.want, tt.domain)
			}
		})
	}
}

func TestNewSignerErrors(t *testing.T) {
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, keys := range map[string][]dkim.Key{
		"not a key":   {{Domain: "contoso.com", Selector: "s", Signer: nil}},
		"no selector": {{Domain: "contoso.com", Signer: ed}},
		"duplicate":   {{Domain: "contoso.com", Selector: "a", Signer: ed}, {Domain: "Contoso.com.", Selector: "b", Signer: ed}},
	} {
		if _, err := dkim.NewSigner(keys...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := dkim.KeyRecord("not a key"); err == nil {
		t.Error("KeyRecord of a string succeeded")
	}
	s, _ := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "a", Signer: ed})
	if _, _, err := s.Signature(strings.NewReader("Subject: no from\r\n\r\nx")); !errors.Is(err, dkim.ErrNoFrom) {
		t.Errorf("no From: %v", err)
	}
}

func TestVerifierAgent(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	d := mxtest.NewDNS(t, keyRecord(t, "ed._domainkey.contoso.com", edKey.Public()))
	s, err := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "ed", Signer: edKey})
	if err != nil {
		t.Fatal(err)
	}
	field, _, err := s.Signature(strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	chain := agent.New(agent.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := chain.Register("DKIM", &dkim.Verifier{Hostname: "edge.fabrikam.com", Resolver: d.Resolver()}); err != nil {
		t.Fatal(err)
	}
	// The Internet sender forged our verdict and kept someone else's.
	raw := "Authentication-Results: edge.fabrikam.com; dkim=pass header.d=contoso.com\r\n" +
		"Authentication-Results: other.example; spf=pass\r\n" +
		"authentication-results: EDGE.fabrikam.com; dmarc=pass\r\n" + field + message
	m := parse(t, raw)
	k := chain.Open(agent.Session{})
	if r := k.EndOfHeaders(t.Context(), m); r != nil {
		t.Fatal(r)
	}
	if r := k.EndOfData(t.Context(), m); r != nil {
		t.Fatal(r)
	}
	var ars []string
	for _, f := range m.Header {
		if strings.EqualFold(f.Name, "Authentication-Results") {
			ars = append(ars, strings.TrimSpace(f.Value))
		}
	}
	if len(ars) != 2 || !strings.HasPrefix(ars[0], "edge.fabrikam.com; dkim=pass") || ars[1] != "other.example; spf=pass" {
		t.Fatalf("Authentication-Results: %q", ars)
	}
	if _, results, err := authres.Parse(ars[0]); err != nil || results[0].(*authres.DKIMResult).Domain != "contoso.com" {
		t.Errorf("stamp %q: %v %v", ars[0], results, err)
	}
}

// parse splits a raw message into the chain's Message (unfolded fields
// suffice for these tests).
func parse(t *testing.T, raw string) *agent.Message {
	head, body, ok := strings.Cut(raw, "\r\n\r\n")
	if !ok {
		t.Fatal("no header block")
	}
	var fields []agent.Field
	for _, line := range strings.Split(head, "\r\n") {
		if line[0] == ' ' || line[0] == '\t' {
			fields[len(fields)-1].Value += "\r\n" + line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		fields = append(fields, agent.Field{Name: name, Value: value})
	}
	m := agent.NewMessage(fields, "bob@fabrikam.com")
	m.Body, m.BodySize = bytes.NewReader([]byte(body)), int64(len(body))
	return m
}

// FuzzVerify feeds arbitrary messages to the verifier (through the
// library's parser): never a panic, always one parsable stamp.
func FuzzVerify(f *testing.F) {
	f.Add(message)
	f.Add("DKIM-Signature: v=1; a=ed25519-sha256; d=contoso.com; s=ed; b=; bh=; h=from\r\nFrom: a@contoso.com\r\n\r\n")
	f.Add("DKIM-Signature: x\r\n\r\n")
	d := mxtest.NewDNS(f, mxtest.TXT("ed._domainkey.contoso.com", "v=DKIM1; k=ed25519; p=AAAA"))
	v := &dkim.Verifier{Hostname: "edge.fabrikam.com", Resolver: d.Resolver()}
	f.Fuzz(func(t *testing.T, raw string) {
		vs, _ := v.Verify(t.Context(), strings.NewReader(raw))
		stamp := authres.Format("edge.fabrikam.com", dkim.Results(vs))
		if _, _, err := authres.Parse(stamp); err != nil && len(vs) < 2 {
			t.Fatalf("unparsable stamp %q: %v", stamp, err)
		}
	})
}
