package mx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
)

// The example runs against an in-process DNS server on 127.0.0.1.
func ExampleResolver_LookupMX() {
	tb := new(mxtest.Standalone) // in a test, pass t instead
	defer tb.Close()
	srv := mxtest.NewDNS(tb,
		mxtest.MX("fabrikam.com", 20, "mx2.fabrikam.com"),
		mxtest.MX("fabrikam.com", 10, "mx1.fabrikam.com"),
		mxtest.A("mx1.fabrikam.com", "192.0.2.1"),
		mxtest.A("mx2.fabrikam.com", "192.0.2.2"),
		mxtest.AAAA("mx2.fabrikam.com", "2001:db8::2"),
		mxtest.NullMX("nomail.fabrikam.com"),
	)

	r, err := mx.New(mx.WithServers(srv.Addr()), mx.WithRand(rand.New(rand.NewPCG(1, 1))))
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
	tb := new(mxtest.Standalone)
	defer tb.Close()
	srv := mxtest.NewDNS(tb,
		mxtest.CNAME("smtp.contoso.com", "relay1.hosting.example"),
		mxtest.A("relay1.hosting.example", "192.0.2.25"),
	)
	r, err := mx.New(mx.WithServers(srv.Addr()), mx.WithIPv6(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := r.ResolveHost(context.Background(), "SMTP.contoso.com.")
	fmt.Println(h.Name, h.Expanded, h.Addrs, h.Secure, err)
	// Output:
	// smtp.contoso.com relay1.hosting.example [192.0.2.25] false <nil>
}
