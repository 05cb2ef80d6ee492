package deliver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/dkim"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/smtptest"
)

// txtRecords answers the DKIM key lookup of a verifier.
type txtRecords map[string][]string

func (r txtRecords) LookupTXT(_ context.Context, name string) ([]string, error) {
	return r[name], nil
}

func TestDKIMSignsAfterTheFirewall(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "edge1", Signer: priv})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dkim.KeyRecord(pub)
	if err != nil {
		t.Fatal(err)
	}
	verifier := &dkim.Verifier{Hostname: "mx.fabrikam.com", Resolver: txtRecords{"edge1._domainkey.contoso.com": rec}}
	tests := []struct {
		name      string
		connector string
		body      string
		signed    bool
	}{
		{"signed on the named connector", "To Internet", testBody, true},
		{"not signed on another connector", "To Partner", testBody, false},
		{"not signed without a key for the From domain", "To Internet", strings.Replace(testBody, "alice@contoso.com", "x@fabrikam.com", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtptest.NewSink(t, smtptest.NoSTARTTLS())
			sc := smtptest.SendConnector(t, tt.connector, connector.UsageInternet, "*", smtptest.SmartHost(sink))
			d := mustNew(t, deliver.WithSendConnectors(sc), deliver.WithDKIM(signer, "to internet"))
			h := newHarness(t, d, deliver.HopFor(sc, "fabrikam.com"))
			if res, err := h.send(queue.Envelope{}, tt.body); err != nil || res[0].Code != 250 {
				t.Fatalf("res=%+v err=%v", res, err)
			}
			m := sink.Messages()[0]
			if got := m.Header.Has("DKIM-Signature"); got != tt.signed {
				t.Fatalf("signed = %v, want %v:\n%s", got, tt.signed, m.Body)
			}
			if m.Header.Has("X-MS-Exchange-Organization-SCL") {
				t.Errorf("organization header left the organization:\n%s", m.Body)
			}
			if !tt.signed {
				return
			}
			vs, err := verifier.Verify(context.Background(), bytes.NewReader(m.Body))
			if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "contoso.com" {
				t.Fatalf("verification %+v, %v", vs, err)
			}
		})
	}
}
