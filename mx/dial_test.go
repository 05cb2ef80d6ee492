package mx_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
)

// DialContext finds the host through the resolver's servers, which know
// mta-sts.fabrikam.com where the system's resolver does not, and reports
// a name they do not know as the lookup's error.
func TestDialContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
		close(accepted)
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := newResolver(t, mxtest.NewDNS(t, mxtest.A("mta-sts.fabrikam.com", "127.0.0.1")), mx.WithIPv6(false))
	ctx := context.Background()
	c, err := r.DialContext(ctx, "tcp", net.JoinHostPort("mta-sts.fabrikam.com", port))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-accepted
	if _, err := r.DialContext(ctx, "tcp", net.JoinHostPort("mta-sts.unknown.example", port)); !errors.Is(err, mx.ErrNoSuchDomain) {
		t.Errorf("unknown name: %v, want ErrNoSuchDomain", err)
	}
	if _, err := r.DialContext(ctx, "tcp", "no-port"); err == nil {
		t.Error("an address without a port was dialled")
	}
}
