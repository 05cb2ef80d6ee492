// Package cmdlet reads the configuration scripts mail administrators
// already write for the reference system's Exchange Management Shell and
// turns them into a Config: send and receive connectors, accepted domains,
// permissions, and the transport server and organization settings. It
// never starts anything; a server builds its transport from the Config,
// and on reload applies the scripts again and swaps the result in.
//
// Start with Load, which parses a script and applies it:
//
//	cfg, err := cmdlet.Load("hub.ps1", src, nil, cmdlet.Options{Server: "HubA"})
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // hub.ps1:3:52: New-SendConnector: ...
//	}
//	send, receive := cfg.ForServer("HubA")
//
// The language is the part of PowerShell those scripts use: commands with
// named parameters (names case-insensitive, unambiguous prefixes such as
// -Addr accepted), switches (-Force, -Confirm:$false, -genericMTA), bare
// words, quoted strings (backtick escapes, doubled quotes), comma lists,
// $true, $false and $null, sizes (10MB), time spans ("00:15:00",
// "2.00:00:00"), @{Add="a"; Remove="b"} for changing a list with Set-,
// `$cred = Get-Credential`, pipelines from Get-SendConnector,
// Get-ReceiveConnector and Get-AcceptedDomain, comments, backtick line
// continuation, and `.\Enable-CrossForestConnector.ps1`. The cmdlets are
// New-, Set-, Remove- and Get-SendConnector, the same for ReceiveConnector
// and AcceptedDomain, Add-, Remove- and Get-ADPermission,
// Set-/Get-TransportServer, Set-/Get-TransportConfig and
// Enable-CrossForestConnector; and for the anti-spam agents Set-/Get- of
// ContentFilterConfig, SenderFilterConfig, RecipientFilterConfig,
// SenderIdConfig, IPBlockListConfig and IPAllowListConfig, Add-, Remove-
// and Get-IPBlockListEntry and IPAllowListEntry, and Add-, Set-, Remove-
// and Get-IPBlockListProvider and IPAllowListProvider. New- and
// Set-SendConnector also take -DaneEnabled and -MtaStsEnabled, hubedge's
// own parameters (on by default for Internet usage).
//
// Credentials are never in a script: `$cred = Get-Credential` is looked
// up by the variable's name in Options.Credentials (LoadCredentials reads
// a file of `name user password-file` lines).
//
// A script applies whole or not at all. Every fault is an *Error printed
// FILE:LINE:COL: Cmdlet-Name: message, and Load returns all of them, as an
// ErrorList, in one pass: unknown cmdlets and parameters (with the closest
// name), ambiguous prefixes, bad values, conflicting or missing
// parameters, duplicate names, identities that do not exist, unassigned
// variables and <placeholder> values left from documentation.
//
// A Config marshals to JSON with the reference system's property names
// (MarshalJSON), prints like Get-SendConnector | Format-List (WriteText),
// and writes itself back as a script (Script).
package cmdlet
