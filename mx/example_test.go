package mx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/hubedge/hubedge/mx"
)

// The example runs against an in-process DNS server on 127.0.0.1.
func ExampleResolver_LookupMX() {
	srv, err := startFakeDNS([]string{
		"fabrikam.com. MX 20 mx2.fabrikam.com.",
		"fabrikam.com. MX 10 mx1.fabrikam.com.",
		"mx1.fabrikam.com. A 192.0.2.1",
		"mx2.fabrikam.com. A 192.0.2.2",
		"mx2.fabrikam.com. AAAA 2001:db8::2",
		"nomail.fabrikam.com. MX 0 .",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	r, err := mx.New(mx.WithServers(srv.Addr), mx.WithRand(rand.New(rand.NewPCG(1, 1))))
	if err != nil {
		fmt.Println(err)
		return
	}
	hosts, err := r.LookupMX(context.Background(), "fabrikam.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hosts {
		fmt.Println(h.Preference, h.Name, h.Addrs)
	}

	_, err = r.LookupMX(context.Background(), "nomail.fabrikam.com")
	reply, permanent := mx.Reply(err)
	fmt.Println(errors.Is(err, mx.ErrNullMX), reply.Code, reply.Enhanced(), permanent)
	// Output:
	// 10 mx1.fabrikam.com [192.0.2.1]
	// 20 mx2.fabrikam.com [192.0.2.2 2001:db8::2]
	// true 556 5.1.10 true
}

func ExampleReply() {
	err := &mx.TemporaryError{Name: "fabrikam.com", Type: "MX", Err: mx.ErrServerFailure}
	reply, permanent := mx.Reply(err)
	fmt.Println(reply.Code, reply.Enhanced(), permanent)
	reply, permanent = mx.Reply(&mx.PermanentError{Name: "fabrikam.com", Err: mx.ErrNoSuchDomain})
	fmt.Println(reply.Code, reply.Enhanced(), permanent)
	// Output:
	// 451 4.4.3 false
	// 550 5.1.2 true
}

// ResolveHost tells how a smart host's addresses were found: here its
// name is an alias, so DANE would look for TLSA records at the
// CNAME-expanded name first. Secure needs a trusted validating resolver
// (WithTrustAD), which this plain server is not.
func ExampleResolver_ResolveHost() {
	srv, err := startFakeDNS([]string{
		"smtp.contoso.com. CNAME relay1.hosting.example.",
		"relay1.hosting.example. A 192.0.2.25",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	r, err := mx.New(mx.WithServers(srv.Addr), mx.WithIPv6(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := r.ResolveHost(context.Background(), "SMTP.contoso.com.")
	fmt.Println(h.Name, h.Expanded, h.Addrs, h.Secure, err)
	// Output:
	// smtp.contoso.com relay1.hosting.example [192.0.2.25] false <nil>
}
