package dkim_test

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"github.com/hubedge/hubedge/dkim"
)

func ExampleSigner_Signature() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // load yours from a file
	s, err := dkim.NewSigner(dkim.Key{Domain: "contoso.com", Selector: "edge1", Signer: key})
	if err != nil {
		panic(err)
	}
	msg := "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: hi\r\n\r\nHello.\r\n"
	field, ok, err := s.Signature(strings.NewReader(msg))
	if err != nil || !ok {
		panic(err)
	}
	// Send field + msg.
	fmt.Println(strings.HasPrefix(field, "DKIM-Signature: "), strings.Contains(field, "d=contoso.com"), strings.Contains(field, "s=edge1"))
	// Output: true true true
}
