# HubA of "Configure Cross-Forest Connectors" (Exchange 2007), external
# authentication: the seed's cmdlet lines as it gives them, with its
# <placeholder> filled in, then the few lines that put the Contoso forest on
# one machine. fourthcoffee-external.ps1 is the reciprocal procedure in the
# other forest; contoso.ps1 is the Basic-over-TLS variant.
#
#   hubedge run -server HubA -fqdn huba.contoso.com -selfsigned -users contoso-users \
#     -maildir mail -queue contoso-queue examples/scripts/contoso-external.ps1
#
# Externally Secured means the network between the forests is protected by
# other means (IPsec, a VPN, a closed network): no TLS, no login, and the
# other forest's hubs, known only by their addresses, are trusted as this
# forest's own Exchange servers. contoso-users holds Contoso's mailbox users;
# -selfsigned gives the default receive connector the TLS it offers them.

# This forest's domain, delivered to Maildir.
New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "Cross-Forest" -Usage Internal  -AddressSpaces FourthCoffee.com -SmartHosts Hub1.FourthCoffee.Com, Hub2.FourthCoffee.com -SmartHostAuthMechanism ExternalAuthoritative -SourceTransportServers HubA.Contoso.com, HubB.Contoso.com -DNSRoutingEnabled $False
New-ReceiveConnector -Name "Cross-Forest" -Server HubA -PermissionGroups ExchangeServers -RemoteIPRanges 192.168.20.1 -AuthMechanism ExternalAuthoritative -Bindings 0.0.0.0:25

# One machine: Contoso's receive connectors share 127.0.0.1:2525, where
# Fourth Coffee's hub (127.0.0.1) gets "Cross-Forest" and Contoso's users,
# from another loopback address (say 127.0.0.2), the default one; the client
# submission connector is on 127.0.0.1:2587. Fourth Coffee's one hub listens
# on 127.0.0.1:2526 (its name resolves to 127.0.0.1, e.g. with -hosts
# hub1.fourthcoffee.com=127.0.0.1).
Set-ReceiveConnector "Cross-Forest" -Bindings 127.0.0.1:2525 -RemoteIPRanges 127.0.0.1
Set-ReceiveConnector "Default HubA" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "Client HubA" -Bindings 127.0.0.1:2587
Set-SendConnector "Cross-Forest" -SmartHosts Hub1.FourthCoffee.com -Port 2526
