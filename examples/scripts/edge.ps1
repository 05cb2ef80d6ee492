# Edge01 of "How to Configure Mail Flow Between an Edge Transport Server and
# Hub Transport Servers Without Using EdgeSync": the seed's cmdlet lines as it
# gives them, then the few lines that put the pair on one machine.
#
#   hubedge run -server Edge01 -role edge -fqdn edge01.contoso.net \
#     -credentials edge.credentials -users edge-users -cert ... -key ... -ca ... \
#     -queue edge-queue examples/scripts/edge.ps1
#
# edge.credentials has the line `hubcred <account on the hubs> <password file>`.

$hubcred = Get-Credential

# The organization's domain, which EdgeSync would replicate here.
New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType InternalRelay

New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true
New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $False -SmartHosts Hub01.contoso.com,Hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $hubcred
Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internet" -Bindings 10.1.1.1:25
New-ReceiveConnector -Name "To Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer -Bindings 10.1.1.1:25 -RemoteIPRanges 192.168.5.10,192.168.5.20

# Basic authentication proves to the edge only that the hub holds a
# password, not that it is an Exchange server, so grant the hubs the header
# rights Exchange servers have: Received and the organization's fields then
# cross to the hubs (hop counts work, Internet mail stays Anonymous).
Get-SendConnector "To Internal Org" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights ms-Exch-Send-Headers-Routing,ms-Exch-Send-Headers-Organization

# One machine: the edge's 10.1.1.1:25 is 127.0.0.1:2525, the one hub listens
# on 127.0.0.1:2526, and the hubs' addresses are 127.0.0.1 (Internet clients
# dial from another loopback address, e.g. swaks --local-interface 127.0.0.9).
Set-ReceiveConnector "From Internet" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "To Internal Org" -Bindings 127.0.0.1:2525 -RemoteIPRanges 127.0.0.1
Set-SendConnector "To Internal Org" -SmartHosts hub01.contoso.com -Port 2526
