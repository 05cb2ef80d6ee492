# HubA of "How to Configure Internet Mail Flow Through Exchange Hosted
# Services or an External SMTP Gateway", Basic authentication: the seed's
# cmdlet lines as it gives them, then the few lines that put it on one
# machine.
#
#   hubedge run -server HubA -fqdn huba.contoso.com -credentials gateway.credentials -users hub-users \
#     -cert ... -key ... -ca ... -maildir mail -queue hub-queue \
#     examples/scripts/gateway-basic.ps1
#
# gateway.credentials has the line `mycred <account on the gateway> <password
# file>`; hub-users holds the account the gateway logs in with (the seed's
# smtpgateway@fabrikam.com). Mail from the gateway needs no connector of its
# own: it logs in to the default receive connector, whose Exchange users may
# send to any recipient. Anonymous clients there may not relay.

$mycred = get-credential

# The organization's domain, delivered to Maildir.
New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "ToInternetGateway" -AddressSpaces "*" -SmartHosts "smtpgateway1.contoso.com" -SmartHostAuthMechanism BasicAuth,BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers "HubA" -DNSRoutingEnabled $false

# One machine: the hub's default receive connector (the gateway and mailbox
# users) on 127.0.0.1:2525, its client submission connector on
# 127.0.0.1:2587, and the gateway listens on port 2526 (its name resolves to
# 127.0.0.1, e.g. with -hosts smtpgateway1.contoso.com=127.0.0.1). Basic
# authentication is sent only after STARTTLS to a gateway whose certificate
# is valid for smtpgateway1.contoso.com.
Set-ReceiveConnector "Default HubA" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "Client HubA" -Bindings 127.0.0.1:2587
Set-SendConnector "ToInternetGateway" -Port 2526
