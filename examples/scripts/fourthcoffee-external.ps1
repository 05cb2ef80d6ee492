# Hub1 of "Configure Cross-Forest Connectors" (Exchange 2007), external
# authentication: the reciprocal procedure of contoso-external.ps1 in the
# Fourth Coffee forest, with the seed's cmdlet lines (their names turned
# around, its <placeholder> filled in), then the few lines that put it on
# one machine.
#
#   hubedge run -server Hub1 -fqdn hub1.fourthcoffee.com -selfsigned -users fourthcoffee-users \
#     -maildir mail -queue fourthcoffee-queue examples/scripts/fourthcoffee-external.ps1
#
# contoso-external.ps1 says what Externally Secured trusts.

# This forest's domain, delivered to Maildir.
New-AcceptedDomain -Name "Fourth Coffee" -DomainName fourthcoffee.com -DomainType Authoritative

New-SendConnector -Name "Cross-Forest" -Usage Internal  -AddressSpaces Contoso.com -SmartHosts HubA.Contoso.com, HubB.Contoso.com -SmartHostAuthMechanism ExternalAuthoritative -SourceTransportServers Hub1.FourthCoffee.com, Hub2.FourthCoffee.com -DNSRoutingEnabled $False
New-ReceiveConnector -Name "Cross-Forest" -Server Hub1 -PermissionGroups ExchangeServers -RemoteIPRanges 192.168.10.1 -AuthMechanism ExternalAuthoritative -Bindings 0.0.0.0:25

# One machine: Fourth Coffee's receive connectors share 127.0.0.1:2526,
# where Contoso's hub (127.0.0.1) gets "Cross-Forest" and Fourth Coffee's
# users, from another loopback address (say 127.0.0.2), the default one; the
# client submission connector is on 127.0.0.1:2588. Contoso's one hub
# listens on 127.0.0.1:2525 (its name resolves to 127.0.0.1, e.g. with
# -hosts huba.contoso.com=127.0.0.1).
Set-ReceiveConnector "Cross-Forest" -Bindings 127.0.0.1:2526 -RemoteIPRanges 127.0.0.1
Set-ReceiveConnector "Default Hub1" -Bindings 127.0.0.1:2526
Set-ReceiveConnector "Client Hub1" -Bindings 127.0.0.1:2588
Set-SendConnector "Cross-Forest" -SmartHosts HubA.Contoso.com -Port 2525
