//go:build linux

package milter_test

import (
	"crypto/rand"
	"crypto/rsa"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/milter"
	"github.com/hubedge/hubedge/agent/milter/miltertest"
	"github.com/hubedge/hubedge/dkim"
	"github.com/hubedge/hubedge/mx/mxtest"
)

// TestOpenDKIM runs a header-changing milter: OpenDKIM adds a
// DKIM-Signature, which must verify against the key published in DNS.
func TestOpenDKIM(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	od := miltertest.StartOpenDKIM(t, "fabrikam.com", "od", key)
	txt, err := dkim.KeyRecord(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	d := mxtest.NewDNS(t, mxtest.TXT("od._domainkey.fabrikam.com", txt...))

	m, err := milter.New(milter.Config{Name: "opendkim", Network: od.Network, Address: od.Addr, Timeout: miltertest.StartupTimeout,
		Hostname: "edge.contoso.com", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	chain := agent.New(agent.WithLogger(quiet()))
	if err := milter.Register(chain, m); err != nil {
		t.Fatal(err)
	}
	_, eod, msg := deliver(t, chain, "Hello Bob,\r\nsigned by OpenDKIM.\r\n")
	if eod != nil {
		t.Fatalf("end of data: %v", eod)
	}
	if _, ok := agent.HeaderValue(msg.Header, "DKIM-Signature"); !ok {
		t.Fatalf("no DKIM-Signature added: %v", msg.Header)
	}
	var raw strings.Builder
	for _, f := range msg.Header {
		raw.WriteString(f.Name + ":" + f.Value + "\r\n")
	}
	raw.WriteString("\r\n")
	body, _ := io.ReadAll(io.NewSectionReader(msg.Body, 0, msg.BodySize))
	raw.Write(body)
	v := &dkim.Verifier{Hostname: "mx.contoso.com", Resolver: d.Resolver()}
	vs, err := v.Verify(t.Context(), strings.NewReader(raw.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := dkim.Results(vs)[0].(*authres.DKIMResult)
	if r.Value != authres.ResultPass || r.Domain != "fabrikam.com" {
		t.Fatalf("OpenDKIM's signature: %+v\n%s", r, raw.String())
	}
}
