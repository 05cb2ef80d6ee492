# HubA of "Configure Cross-Forest Connectors" (Exchange 2007; the Exchange
# 2013 "Configure a cross-forest Send connector" is the same connector),
# Basic authentication over TLS: the seed's cmdlet lines as it gives them,
# then the few lines that put the Contoso forest on one machine.
# fourthcoffee.ps1 is the reciprocal procedure in the other forest.
#
#   hubedge run -server HubA -fqdn huba.contoso.com -credentials contoso.credentials \
#     -users contoso-users -cert ... -key ... -ca ... -maildir mail -queue contoso-queue \
#     examples/scripts/contoso.ps1
#
# contoso.credentials has the line `mycred <account in Fourth Coffee>
# <password file>`, an account of Fourth Coffee's "Exchange Servers" group;
# contoso-users holds Contoso's mailbox users and the account Fourth Coffee
# logs in with, in the group "Exchange Servers" (user:hash:Exchange Servers).
# Fourth Coffee logs in to the default receive connector: no receive
# connector of its own is needed.
#
# Basic authentication over TLS is the seed's first choice, and the one to
# use: the password is sent only after STARTTLS to a host whose certificate
# is valid for the smart host's name. The seed's other Basic line,
#   -SmartHostAuthMechanism BasicAuth -RequireTLS $True
# encrypts without checking the certificate, so whoever answers for
# Hub1.FourthCoffee.com gets the password; if you use it, add
# -TlsAuthLevel CertificateValidation (a certificate from a trusted CA) or
# -TlsAuthLevel DomainValidation -TlsDomain "*.FourthCoffee.com" (and a
# name in that domain). The seed's external authentication, for networks secured
# by other means such as IPsec, is contoso-external.ps1.

$mycred = get-credential

# This forest's domain, delivered to Maildir.
New-AcceptedDomain -Name "Contoso" -DomainName contoso.com -DomainType Authoritative

New-SendConnector -Name "Cross-Forest" -Usage Internal  -AddressSpaces FourthCoffee.com -SmartHosts Hub1.FourthCoffee.Com, Hub2.FourthCoffee.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers HubA.Contoso.com, HubB.Contoso.com -DNSRoutingEnabled $False
Enable-CrossForestConnector -Connector "Cross-Forest" -user "ANONYMOUS LOGON"

# One machine: Contoso's default receive connector (its users and Fourth
# Coffee) on 127.0.0.1:2525, its client submission connector on
# 127.0.0.1:2587; Fourth Coffee's one hub listens on 127.0.0.1:2526 (its name
# resolves to 127.0.0.1, e.g. with -hosts hub1.fourthcoffee.com=127.0.0.1).
Set-ReceiveConnector "Default HubA" -Bindings 127.0.0.1:2525
Set-ReceiveConnector "Client HubA" -Bindings 127.0.0.1:2587
Set-SendConnector "Cross-Forest" -SmartHosts Hub1.FourthCoffee.com -Port 2526
