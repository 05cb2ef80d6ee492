# HubA of "How to Configure Internet Mail Flow Through Exchange Hosted
# Services or an External SMTP Gateway", anonymous relay: the seed's cmdlet
# lines as it gives them, then the few lines that put it on one machine.
#
#   hubedge run -server HubA -fqdn huba.contoso.com -selfsigned -maildir mail -queue hub-queue \
#     examples/scripts/gateway-anonymous-relay.ps1
#
# -selfsigned: the default receive connector offers TLS, as setup's
# self-signed certificate lets it; give -cert and -key for a real one.
#
# The method of last resort: any anonymous client at the receive
# connector's remote addresses may send to any recipient, so those addresses
# (and the binding) are the only protection. Clients from elsewhere reach
# the default receive connector, where anonymous clients may not relay.

New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "ToInternetGateway" -Usage Internet -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com" -SmartHostAuthMechanism None -SourceTransportServers "HubA" -DNSRoutingEnabled $false
New-ReceiveConnector -Name "FromInternetGateway" -Server HubA -Usage Custom -PermissionGroups AnonymousUsers -Bindings 10.2.3.4:25 -RemoteIpRanges 192.168.5.77
Get-ReceiveConnector "FromInternetGateway" | Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights "Ms-Exch-SMTP-Accept-Any-Recipient"

# One machine: the hub's 10.2.3.4:25 is 127.0.0.1:2525, shared with the
# default receive connector; the gateway is 127.0.0.1 and listens on port
# 2526 (its name resolves to 127.0.0.1, e.g. with -hosts
# smtpgateway1.contoso.com=127.0.0.1). A client from another loopback
# address (say 127.0.0.2) gets the default connector.
Set-ReceiveConnector "FromInternetGateway" -Bindings 127.0.0.1:2525 -RemoteIPRanges 127.0.0.1
Set-ReceiveConnector "Default HubA" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "Client HubA" -Bindings 127.0.0.1:2587
Set-SendConnector "ToInternetGateway" -Port 2526
