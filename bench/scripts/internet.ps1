# The relay benchmark's DNS-routed relay for `hubedge run` (issue 21's
# outbound TLS policies), after hub.ps1: as relay.ps1, any anonymous
# client from 127.0.0.0/8 may send to any recipient on 127.0.0.1:2856,
# but mail goes out by MX lookup through "To Internet", a DNS-routed
# send connector of Internet usage (DANE and MTA-STS on, by default),
# with its SMTP protocol log Verbose (the log says which TLS policy held
# for each session; the bench counts those lines). Run it with
# LISTEN_PORT=2856, or let the bench's policy= variants copy it with the
# binding on LISTEN_PORT. bench/README.md, "Outbound TLS policies on the
# relay (issue 21)", has the commands.

New-ReceiveConnector -Name "From Bench" -Usage Custom -PermissionGroups AnonymousUsers -Bindings 127.0.0.1:2856 -RemoteIPRanges 127.0.0.0/8 `
  -MaxInboundConnectionPerSource 200 -ConnectionTimeout 00:10:00 -ConnectionInactivityTimeout 00:05:00
Get-ReceiveConnector "From Bench" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"
New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true -ProtocolLoggingLevel Verbose
Set-TransportServer Relay01 -SendProtocolLogPath sendlog
