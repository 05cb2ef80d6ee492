// Package connector holds the configuration objects mail administrators
// think in: send connectors (where mail for some address spaces goes, and
// how delivery authenticates) and receive connectors (which local bindings
// and remote addresses a listener serves, how sessions authenticate, what
// they may do, and the limits). It reproduces the parameters, usage-type
// defaults and validation of the reference system's New-SendConnector and
// New-ReceiveConnector (SPEC.md §1–§4, the documents in seeds/), so every
// connector those documents create can be written with NewSend and
// NewReceive and functional options:
//
//	New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False
//	    -SmartHosts edge01.contoso.net -SourceTransportServers hub01.contoso.com,hub02.contoso.com
//	    -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
//
//	toEdge, err := connector.NewSend("To Edge",
//		connector.WithUsage(connector.UsageInternal),
//		connector.WithAddressSpaceList("*"),
//		connector.WithSmartHostList("edge01.contoso.net"),
//		connector.WithSourceTransportServers("hub01.contoso.com", "hub02.contoso.com"),
//		connector.WithSmartHostAuth(auth.SmartHostBasicAuthRequireTLS),
//		connector.WithCredentials(user, password))
//
// Connectors are immutable once built and safe for concurrent use.
//
// Beyond the reference system, NewReceive refuses a connector that would
// relay for every address (ExternalAuthoritative, or Accept-Any-Recipient
// for anonymous sessions, with remote ranges covering a whole address
// family) unless AllowOpenRelay is given.
//
// A Set holds one server's receive connectors, checks them against each
// other (unique binding and remote range; ranges on one binding nested or
// disjoint, SPEC.md §2.4) and picks the connector for each incoming
// connection with Select: the most specific binding, then the narrowest
// remote range containing the client. Select is allocation-free and does
// one map lookup and one binary search per binding tried.
//
// Remote IP ranges (ParseIPRange) are single IPv4/IPv6 addresses, "a-b"
// ranges and CIDR prefixes; smart hosts (ParseSmartHost) are host names or
// IP literals, bracketed as the reference system writes them
// ("[192.168.1.1]"), with an optional port.
//
// Not modelled: ErrorPolicies, ForceHELO, SourceIPAddress, the hybrid and
// front-end parameters, message rate limits, the advertised-extension
// switches (SizeEnabled, ChunkingEnabled, ...), and Integrated (Kerberos/
// NTLM) authentication, which auth refuses.
package connector
