# The relay benchmark's anonymous relay for `hubedge run`, after hub.ps1 or
# edge.ps1: as the gateway's -mode anonymous-relay, any anonymous client
# from 127.0.0.0/8 may send to any recipient on 127.0.0.1:2536, and all
# mail goes to the smart host 127.0.0.1:2537, the sink (run the bench with
# LISTEN_PORT=2536 NEXTHOP_PORT=2537: ports of their own, so that a bench on
# the default ports does not collide with it). The timeouts are given so
# that a hub and an edge run the same connector (an Edge's defaults are
# shorter; no benchmark session comes near either). bench/README.md has the
# commands.

New-ReceiveConnector -Name "From Bench" -Usage Custom -PermissionGroups AnonymousUsers -Bindings 127.0.0.1:2536 -RemoteIPRanges 127.0.0.0/8 `
  -MaxInboundConnectionPerSource 200 -ConnectionTimeout 00:10:00 -ConnectionInactivityTimeout 00:05:00
Get-ReceiveConnector "From Bench" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"
New-SendConnector -Name "To Sink" -Usage Internet -AddressSpaces * -SmartHosts "[127.0.0.1]" -Port 2537 -DNSRoutingEnabled $false -SmartHostAuthMechanism None
