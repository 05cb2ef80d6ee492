// Command edge is the Edge transport server of the seed document
// "How to Configure Mail Flow Between an Edge Transport Server and Hub
// Transport Servers Without Using EdgeSync" (seeds/001), run beside examples/hub:
//
//	receive "From Internet"    the Edge default connector on -listen: anonymous
//	                           Internet mail for the organization (-org)
//	receive "To Internal Org"  TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer on
//	                           -internal-listen for the hubs' addresses (-hubs-remote):
//	                           the hubs log in with an account of -users and relay out
//	send "To Internet"         address space *, DNS (MX) routing
//	send "To Internal Org"     *.<org> to the hubs (-hubs) with BasicAuthRequireTLS,
//	                           as -hub-user / -password-file
//
// The organization's domain is an InternalRelay accepted domain here: the
// edge accepts its recipients from the Internet and relays them to the hubs,
// which hold the mailboxes.
//
// # Two processes on one machine
//
// From the repository root: self-signed certificates that each server
// trusts in the other (-gen-cert, no openssl needed), a users file each
// (-bcrypt hashes the passwords), -hosts in place of DNS, and Internet
// clients dialling from 127.0.0.9, because 127.0.0.1 is the hub's address
// and only the hub may use "To Internal Org":
//
//	mkdir -p pair && go build -o pair ./examples/hub ./examples/edge && cd pair
//	./hub -fqdn hub01.contoso.com -gen-cert . && ./edge -fqdn edge01.contoso.net -gen-cert .
//	printf '%s\n' "CONTOSO\edgesvc:$(echo edgepw | ./hub -bcrypt):MS Exchange\Edge Transport Servers" \
//	  "alice@contoso.com:$(echo alicepw | ./hub -bcrypt)" > hub-users
//	printf '%s\n' "edge01\hubsvc:$(echo hubpw | ./edge -bcrypt):MS Exchange\Hub Transport Servers" > edge-users
//	echo hubpw > hub-password && echo edgepw > edge-password && echo alice@contoso.com > hub-mailboxes
//	./hub -listen 127.0.0.1:2526 -edge edge01.contoso.net:2525 -hosts edge01.contoso.net=127.0.0.1 \
//	  -cert hub01.contoso.com.crt -key hub01.contoso.com.key -ca edge01.contoso.net.crt \
//	  -domains contoso.com -maildir mail -mailboxes hub-mailboxes -queue hub-queue -users hub-users -password-file hub-password &
//	./edge -listen 127.0.0.1:2525 -hubs hub01.contoso.com:2526 -hubs-remote 127.0.0.1 -hosts hub01.contoso.com=127.0.0.1 \
//	  -cert edge01.contoso.net.crt -key edge01.contoso.net.key -ca hub01.contoso.com.crt \
//	  -queue edge-queue -users edge-users -password-file edge-password &
//	swaks --server 127.0.0.1:2525 --local-interface 127.0.0.9 --from bob@fabrikam.com --to alice@contoso.com
//	ls mail/contoso.com/alice/new
//	swaks --server 127.0.0.1:2526 --tls --auth-user alice@contoso.com --auth-password alicepw \
//	  --from alice@contoso.com --to nobody@contoso.com # 550 5.1.1
//
// Alice's message arrives with X-MS-Exchange-Organization-AuthAs:
// Anonymous and the edge's Received field: the two servers' send
// connectors declare each other as Exchange servers, so the header
// firewall keeps those fields between them. The hub's -mailboxes lists who
// has a mailbox: RCPT for anyone else is refused with 550 5.1.1 and no
// stray Maildir is created; without -mailboxes, every local part a Maildir
// can hold is accepted. The edge has no such list (EdgeSync would
// bring it): it accepts every recipient of the organization from the
// Internet, and the hub's refusal comes back to the sender as an NDR. Mail from Alice to the
// Internet needs the edge to resolve MX records: give it -dns (with the
// hubs' names in that DNS) instead of -hosts.
//
// kill -HUP makes a server reread its -users and -mailboxes files; SIGINT or SIGTERM stops
// it gracefully. A queue directory takes about 32 KiB of disk when empty
// (its store file is sparse, 16 MiB as ls shows it) and 8 MiB more for
// each of its two log segments once mail flows.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/cli"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/transport"
)

func main() { cli.Main("edge", run) }

func run(ctx context.Context, args []string, out io.Writer) error {
	var c cli.Common
	defer c.Close()
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(out)
	c.Register(fs, "edge01.contoso.net")
	listen := fs.String("listen", "0.0.0.0:25", `binding of "From Internet" (the Internet-facing address)`)
	internal := fs.String("internal-listen", "", `binding of "To Internal Org" (default: -listen, as in the seed)`)
	org := fs.String("org", "contoso.com", "the organization's domain: accepted here, relayed to the hubs")
	hubs := fs.String("hubs", "hub01.contoso.com", "the Hub transport servers, comma-separated host[:port]")
	hubsRemote := fs.String("hubs-remote", "", "the hubs' IP addresses, for the \"To Internal Org\" receive connector (required)")
	hubUser := fs.String("hub-user", `CONTOSO\edgesvc`, "account the edge logs in to the hubs with (password in -password-file)")
	if done, err := c.Parse(fs, args, out); done || err != nil {
		return err
	}
	password, err := c.Password()
	if err != nil {
		return err
	}
	if *internal == "" {
		*internal = *listen
	}
	if *hubsRemote == "" || c.Users == "" {
		return cli.Usagef("-hubs-remote and -users (the hubs' accounts) are required")
	}
	// Set-ReceiveConnector "Default internal Receive connector Edge01" -Name "From Internet" -Bindings 10.1.1.1:25
	fromInternetCfg := connector.NewEdgeReceiveConfig("From Internet", connector.UsageInternet)
	if fromInternetCfg.Bindings, err = connector.ParseBindings(*listen); err != nil {
		return err
	}
	fromInternetCfg.AuthMechanism = auth.TLS | auth.ExchangeServer
	fromInternetCfg.PermissionGroups = perms.AnonymousUsers | perms.ExchangeServers | perms.Partners
	fromInternetCfg.ProtocolLoggingLevel = c.Logging()
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		return err
	}
	// New-ReceiveConnector -Name "To Internal Org" -Usage Internal -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer
	//   -Bindings 10.1.1.1:25 -RemoteIPRanges 192.168.5.10,192.168.5.20
	toInternalOrgRecvCfg := connector.NewEdgeReceiveConfig("To Internal Org", connector.UsageInternal)
	if toInternalOrgRecvCfg.Bindings, err = connector.ParseBindings(*internal); err != nil {
		return err
	}
	if toInternalOrgRecvCfg.RemoteIPRanges, err = connector.ParseIPRanges(*hubsRemote); err != nil {
		return err
	}
	toInternalOrgRecvCfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
	toInternalOrgRecvCfg.ProtocolLoggingLevel = c.Logging()
	toInternalOrgRecv, err := toInternalOrgRecvCfg.Build()
	if err != nil {
		return err
	}
	// New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true
	toInternetCfg := connector.NewSendConfig("To Internet", connector.UsageInternet)
	toInternetCfg.Edge = true
	toInternetCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	toInternetCfg.DNSRoutingEnabled = true
	toInternetCfg.ProtocolLoggingLevel = c.Logging()
	toInternet, err := toInternetCfg.Build()
	if err != nil {
		return err
	}
	// New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com -DNSRoutingEnabled $False
	//   -SmartHosts Hub01.contoso.com,Hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $hubcred
	toInternalOrgCfg := connector.NewSendConfig("To Internal Org", connector.UsageInternal)
	toInternalOrgCfg.Edge = true
	toInternalOrgCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*." + *org)}
	if toInternalOrgCfg.SmartHosts, err = connector.ParseSmartHosts(*hubs); err != nil {
		return err
	}
	toInternalOrgCfg.DNSRoutingEnabled = false
	toInternalOrgCfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	toInternalOrgCfg.AuthenticationCredential = connector.Credential{UserName: *hubUser, Password: password}
	toInternalOrgCfg.RemotePrincipal = perms.HubTransportServers
	toInternalOrgCfg.ProtocolLoggingLevel = c.Logging()
	toInternalOrg, err := toInternalOrgCfg.Build()
	if err != nil {
		return err
	}
	log, err := c.Logger(out)
	if err != nil {
		return err
	}
	opts, err := c.Options(log, true)
	if err != nil {
		return err
	}
	sends := []*connector.SendConnector{toInternet, toInternalOrg}
	opts = append(opts, transport.WithReceiveConnector(fromInternet, toInternalOrgRecv), transport.WithSendConnector(sends...),
		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: *org, Type: routing.InternalRelay}))
	t, err := transport.New(opts...)
	if err != nil {
		return err
	}
	return c.Serve(ctx, t, out, fmt.Sprintf("edge %s for %s: hubs %s", c.FQDN, *org, *hubs), sends)
}
