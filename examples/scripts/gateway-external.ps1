# HubA of "How to Configure Internet Mail Flow Through Exchange Hosted
# Services or an External SMTP Gateway", Externally Secured authentication:
# the seed's cmdlet lines as it gives them, then the few lines that put it
# on one machine.
#
#   hubedge run -server HubA -fqdn huba.contoso.com -selfsigned -maildir mail -queue hub-queue \
#     examples/scripts/gateway-external.ps1
#
# -selfsigned: the default receive connector offers TLS, as setup's
# self-signed certificate lets it; give -cert and -key for a real one.
#
# Externally Secured means the network between the hub and the gateway is
# protected by other means (IPsec, a VPN, a closed network): the gateway at
# the connector's remote address is trusted as if it were an internal
# server, without TLS or a login. Anyone else reaches the default receive
# connector, where anonymous clients may not relay.

New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "ToInternetGateway" -Usage Internal  -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com" -SmartHostAuthMechanism ExternalAuthoritative -SourceTransportServers "HubA" -DNSRoutingEnabled $false
New-ReceiveConnector -Name "FromInternetGateway" -Server HubA -Usage Internal -RemoteIPRanges 192.168.1.10 -AuthMechanism ExternalAuthoritative

# One machine: the gateway is 127.0.0.1 and listens on port 2526 (its name
# resolves to 127.0.0.1, e.g. with -hosts smtpgateway1.contoso.com=127.0.0.1);
# the hub's receive connectors share 127.0.0.1:2525, where a client from
# another loopback address (say 127.0.0.2) gets the default one.
Set-ReceiveConnector "FromInternetGateway" -Bindings 127.0.0.1:2525 -RemoteIPRanges 127.0.0.1
Set-ReceiveConnector "Default HubA" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "Client HubA" -Bindings 127.0.0.1:2587
Set-SendConnector "ToInternetGateway" -Port 2526
