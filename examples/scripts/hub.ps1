# Hub01 of "How to Configure Mail Flow Between an Edge Transport Server and
# Hub Transport Servers Without Using EdgeSync": the seed's cmdlet lines as it
# gives them, then the few lines that put the pair on one machine.
#
# Run it beside edge.ps1: the header of edge.ps1 has the whole setup of
# the pair on one machine, this hub included.

$edgecred = Get-Credential

New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False -SmartHosts edge01.contoso.net -SourceTransportServers hub01.contoso.com,hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred

# As on the edge: the edge proves only a password, so grant it the header
# rights of an Exchange server explicitly.
Get-SendConnector "To Edge" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights ms-Exch-Send-Headers-Routing,ms-Exch-Send-Headers-Organization

# One machine: the edge at 127.0.0.1:2525, this hub's default receive
# connector (mailbox users and the edge) at 127.0.0.1:2526, its client
# submission connector at 127.0.0.1:2587.
Set-SendConnector "To Edge" -Port 2525
Set-ReceiveConnector "Default Hub01" -Bindings 127.0.0.1:2526
Set-ReceiveConnector "Client Hub01" -Bindings 127.0.0.1:2587
