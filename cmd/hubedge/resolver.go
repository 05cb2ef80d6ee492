package main

import (
	"context"
	"net"
	"sync/atomic"
)

// dnsResolver sends the lookups of a net.Resolver to the -dns servers, so
// that an Edge told where to resolve makes its SPF lookups there as well as
// its MX and DNS block list ones. Each attempt goes to the next server, so
// a retry after a timeout asks another one. Without servers it is nil: the
// system's resolver.
func dnsResolver(servers []string) *net.Resolver {
	if len(servers) == 0 {
		return nil
	}
	var next atomic.Uint32
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, servers[int(next.Add(1)-1)%len(servers)])
	}}
}
