# Hub1 of "Configure Cross-Forest Connectors" (Exchange 2007) and
# "Configure a cross-forest Send connector" (Exchange 2013), Basic
# authentication over TLS: the reciprocal procedure of contoso.ps1 in the
# Fourth Coffee forest, with the seeds' cmdlet lines (their names turned
# around, as the seeds ask), then the few lines that put it on one machine.
#
#   hubedge run -server Hub1 -fqdn hub1.fourthcoffee.com -credentials fourthcoffee.credentials \
#     -users fourthcoffee-users -cert ... -key ... -ca ... -maildir mail -queue fourthcoffee-queue \
#     examples/scripts/fourthcoffee.ps1
#
# fourthcoffee.credentials has the line `mycred <account in Contoso>
# <password file>` (the seeds' example is FourthCoffee@Contoso.com), an
# account of Contoso's "Exchange Servers" group; fourthcoffee-users holds
# Fourth Coffee's mailbox users and the account Contoso logs in with, in the
# group "Exchange Servers". contoso.ps1 explains why Basic authentication
# over TLS rather than the seeds' other modes.

$mycred = get-credential

# This forest's domain, delivered to Maildir.
New-AcceptedDomain -Name "Fourth Coffee" -DomainName fourthcoffee.com -DomainType Authoritative

New-SendConnector -Name "Cross-Forest" -Usage Internal  -AddressSpaces Contoso.com -SmartHosts HubA.Contoso.com, HubB.Contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $mycred -SourceTransportServers Hub1.FourthCoffee.com, Hub2.FourthCoffee.com -DNSRoutingEnabled $False
.\Enable-CrossForestConnector.ps1 -Connector "Cross-Forest" -user "ANONYMOUS LOGON"

# One machine: Fourth Coffee's default receive connector (its users and
# Contoso) on 127.0.0.1:2526, its client submission connector on
# 127.0.0.1:2588; Contoso's one hub listens on 127.0.0.1:2525 (its name
# resolves to 127.0.0.1, e.g. with -hosts huba.contoso.com=127.0.0.1).
Set-ReceiveConnector "Default Hub1" -Bindings 127.0.0.1:2526
Set-ReceiveConnector "Client Hub1" -Bindings 127.0.0.1:2588
Set-SendConnector "Cross-Forest" -SmartHosts HubA.Contoso.com -Port 2525
