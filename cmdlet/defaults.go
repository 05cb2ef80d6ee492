package cmdlet

import "fmt"

// DefaultConfig returns the configuration of a freshly installed server
// named server: the receive connectors the reference system creates at
// setup, with the default transport settings. A Hub has "Default <server>"
// on 0.0.0.0:25 and "Client <server>" on 0.0.0.0:587; an Edge has "Default
// internal Receive connector <server>" on 0.0.0.0:25. Integrated
// authentication, which hubedge does not implement, is left out of their
// AuthMechanism. Apply a script to it when the script changes those
// connectors (Set-ReceiveConnector "Default internal Receive connector
// Edge01" ...); start from NewConfig when it does not expect them.
func DefaultConfig(server string, edge bool) (*Config, error) {
	all := "0.0.0.0-255.255.255.255"
	src := fmt.Sprintf(`New-ReceiveConnector -Name 'Default %[1]s' -Usage Custom -Bindings 0.0.0.0:25 -RemoteIPRanges %[2]s `+
		"`\n"+`  -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS,ExchangeServer -PermissionGroups ExchangeUsers,ExchangeServers,ExchangeLegacyServers
New-ReceiveConnector -Name 'Client %[1]s' -Usage Client -RemoteIPRanges %[2]s
`, quoteInner(server), all)
	if edge {
		src = fmt.Sprintf(`New-ReceiveConnector -Name 'Default internal Receive connector %s' -Usage Custom -Bindings 0.0.0.0:25 `+
			`-RemoteIPRanges %s -AuthMechanism Tls,ExchangeServer -PermissionGroups AnonymousUsers,ExchangeServers,Partners
`, quoteInner(server), all)
	}
	return Load("defaults", []byte(src), nil, Options{Edge: edge})
}

// quoteInner escapes s for the inside of a single-quoted string.
func quoteInner(s string) string { q := quoteArg(s); return q[1 : len(q)-1] }
