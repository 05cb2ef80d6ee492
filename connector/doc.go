// Package connector holds the configuration objects mail administrators
// think in: send connectors (where mail for some address spaces goes, and
// how delivery authenticates) and receive connectors (which local bindings
// and remote addresses a listener serves, how sessions authenticate, what
// they may do, and the limits).
//
// A connector is declared as data. SendConfig and ReceiveConfig are plain
// structs whose fields are the parameters of the reference system's
// New-SendConnector and New-ReceiveConnector; NewSendConfig and
// NewReceiveConfig apply a usage type's defaults (the -Usage step), Build
// validates and returns the immutable connector, and Config gives its
// configuration back, so a configuration can be compared, changed and
// replaced as a value:
//
//	New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False
//	    -SmartHosts edge01.contoso.net -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
//
//	cfg := connector.NewSendConfig("To Edge", connector.UsageInternal)
//	cfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
//	cfg.SmartHosts = []connector.SmartHost{{Host: "edge01.contoso.net"}}
//	cfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
//	cfg.AuthenticationCredential = connector.Credential{UserName: user, Password: password}
//	toEdge, err := cfg.Build()
//
// The constructors apply only the usage's defaults; what the cmdlet infers
// from other parameters is set explicitly: naming SmartHosts means
// DNSRoutingEnabled false, and a LinkedReceiveConnector means
// MaxMessageSize Unlimited. Lists as administrators write them are parsed
// with ParseBindings, ParseIPRanges, ParseSmartHosts and
// addrspace.ParseList, and Enable-CrossForestConnector is
// (*SendConfig).EnableCrossForest. Every refusal of Build is a
// *ConfigError naming the parameter. Connectors are immutable once built
// and safe for concurrent use.
//
// Beyond the reference system, Build refuses a receive connector that
// would relay for every address (ExternalAuthoritative, or
// Accept-Any-Recipient for anonymous sessions, with remote ranges covering
// a whole address family) unless AllowOpenRelay is set.
//
// A Set holds one server's receive connectors, checks them against each
// other (unique binding and remote range; ranges on one binding nested or
// disjoint) and picks the connector for each incoming connection with
// Select: the most specific binding, then the narrowest remote range
// containing the client. Select is allocation-free and does one map lookup
// and one binary search per binding tried.
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
