package routing

import "strings"

// SameServer reports whether two transport-server names name the same
// server: equal ignoring case, or one is the other's first label, as an
// administrator writes "HubA" in -SourceTransportServers or -Server for
// the server whose FQDN is huba.contoso.com. Two FQDNs that differ beyond
// the first label are different servers.
func SameServer(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	ha, _, _ := strings.Cut(a, ".")
	hb, _, _ := strings.Cut(b, ".")
	return (ha == a || hb == b) && strings.EqualFold(ha, hb)
}
