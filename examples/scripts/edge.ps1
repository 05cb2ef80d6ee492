# Edge01 of "How to Configure Mail Flow Between an Edge Transport Server and
# Hub Transport Servers Without Using EdgeSync": the seed's cmdlet lines as it
# gives them, then the few lines that put the pair on one machine.
#
# The pair on one machine, from the repository root. Each server logs in
# to the other with an account of the other's -users file, in the group that
# makes it an Exchange server there (without it, Internet mail would arrive
# marked internal); -gen-cert writes self-signed certificates that each side
# trusts as the other's -ca; -hosts stands in for DNS:
#
#   mkdir -p pair && go build -o pair ./cmd/hubedge ./examples/hub && cd pair
#   ./hub -fqdn hub01.contoso.com -gen-cert . && ./hub -fqdn edge01.contoso.net -gen-cert .
#   echo edgepw > edge.pw && echo hubpw > hub.pw && echo alice@contoso.com > hub-mailboxes
#   echo 'hubcred CONTOSO\edgesvc edge.pw' > edge.credentials
#   echo 'edgecred edge01\hubsvc hub.pw' > hub.credentials
#   printf '%s\n' "CONTOSO\edgesvc:$(./hub -bcrypt < edge.pw):MS Exchange\Edge Transport Servers" \
#     "alice@contoso.com:$(echo alicepw | ./hub -bcrypt)" > hub-users
#   printf '%s\n' "edge01\hubsvc:$(./hub -bcrypt < hub.pw):MS Exchange\Hub Transport Servers" > edge-users
#   ./hubedge run -server Hub01 -fqdn hub01.contoso.com -credentials hub.credentials -users hub-users \
#     -cert hub01.contoso.com.crt -key hub01.contoso.com.key -ca edge01.contoso.net.crt \
#     -hosts edge01.contoso.net=127.0.0.1 -maildir mail -mailboxes hub-mailboxes -queue hub-queue \
#     ../examples/scripts/hub.ps1 &
#   ./hubedge run -server Edge01 -role edge -fqdn edge01.contoso.net -credentials edge.credentials -users edge-users \
#     -cert edge01.contoso.net.crt -key edge01.contoso.net.key -ca hub01.contoso.com.crt \
#     -hosts hub01.contoso.com=127.0.0.1 -queue edge-queue ../examples/scripts/edge.ps1 &
#   swaks --server 127.0.0.1:2525 --local-interface 127.0.0.9 --from bob@fabrikam.com --to alice@contoso.com
#   ls mail/contoso.com/alice/new
#
# Internet clients dial from 127.0.0.9 because 127.0.0.1 is the hub's
# address, which the edge's "To Internal Org" receive connector serves. Mail
# from Alice to the Internet needs the edge to resolve MX records: give it
# -dns instead of -hosts. kill -HUP re-reads the scripts and the users files.
#
# Without EdgeSync the edge does not know which contoso.com mailboxes exist
# (contoso.com is InternalRelay here, and the Recipient Filtering agent
# validates authoritative domains only): an unknown recipient is accepted
# here and refused by the hub, so the edge sends the Internet sender a
# non-delivery report. EdgeSync, which would make contoso.com authoritative
# on the edge with the hub's recipients, is not part of hubedge yet.
#
# The seed's "To Internal Org" covers *.contoso.com, but the hub accepts
# contoso.com only, and its "To Edge" covers *: mail the hub takes from an
# authenticated user for a subdomain such as x@sub.contoso.com goes to the
# edge, which sends it back to the hub, and so on. As in the reference
# system, MaxLocalHopCount ends it: about ten round trips later a server
# finds eight Received fields naming itself, refuses the message with
# "554 5.4.14 Hop count exceeded", and the sender gets one non-delivery
# report. Anonymous Internet clients cannot start it (the edge refuses
# such a subdomain at RCPT). Add the subdomains the organization uses as
# accepted domains on the hub, or narrow the edge's address space.
#
# After the hub has been down, the mail the edge holds for it waits out
# its retry interval (10 minutes on an edge). With -manage 127.0.0.1:8025
# -manage-token manage.token on the edge's run line, `./hubedge -manage
# 127.0.0.1:8025 -manage-token manage.token Get-Queue` shows the queue's
# Identity, and Retry-Queue -Identity with it sends the mail at once.

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
