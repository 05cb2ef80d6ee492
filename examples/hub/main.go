// Command hub is a Hub transport server of the seed document
// "How to Configure Mail Flow Between an Edge Transport Server and Hub
// Transport Servers Without Using EdgeSync" (seeds/001), run beside examples/edge:
//
//	receive "Default <fqdn>"  TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer on -listen
//	                          for mailbox users and the edge, both logging in with an
//	                          account of -users (the edge's with the group
//	                          "MS Exchange\Edge Transport Servers")
//	send "To Edge"            address space * to the edge (-edge) with
//	                          BasicAuthRequireTLS, as -edge-user /
//	                          -password-file
//
// The accepted domains (-domains) are authoritative here and delivered to
// Maildir mailboxes under -maildir.
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
	"github.com/hubedge/hubedge/transport"
)

func main() { cli.Main("hub", run) }

func run(ctx context.Context, args []string, out io.Writer) error {
	var c cli.Common
	defer c.Close()
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	fs.SetOutput(out)
	c.Register(fs, "hub01.contoso.com")
	listen := fs.String("listen", "0.0.0.0:25", "binding of the default receive connector")
	remote := fs.String("remote", "0.0.0.0-255.255.255.255", "remote IP ranges of the default receive connector")
	edge := fs.String("edge", "edge01.contoso.net", "the Edge transport server, host[:port]")
	edgeUser := fs.String("edge-user", `edge01\hubsvc`, "account the hub logs in to the edge with (password in -password-file)")
	sources := fs.String("source-servers", "", "the hubs the To Edge connector is sourced on (default: -fqdn)")
	if done, err := c.Parse(fs, args, out); done || err != nil {
		return err
	}
	password, err := c.Password()
	if err != nil {
		return err
	}
	if c.Domains == "" || c.Users == "" {
		return cli.Usagef("-domains (with -maildir) and -users are required")
	}
	if *sources == "" {
		*sources = c.FQDN
	}
	// The Hub default receive connector: users submit and the edge relays in
	// after Basic authentication over TLS.
	defCfg := connector.NewReceiveConfig("Default "+c.FQDN, connector.UsageInternal)
	if defCfg.Bindings, err = connector.ParseBindings(*listen); err != nil {
		return err
	}
	if defCfg.RemoteIPRanges, err = connector.ParseIPRanges(*remote); err != nil {
		return err
	}
	defCfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
	defCfg.PermissionGroups = perms.ExchangeUsers | perms.ExchangeServers | perms.ExchangeLegacyServers
	defCfg.ProtocolLoggingLevel = c.Logging()
	def, err := defCfg.Build()
	if err != nil {
		return err
	}
	// New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False -SmartHosts edge01.contoso.net
	//   -SourceTransportServers hub01.contoso.com,hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
	toEdgeCfg := connector.NewSendConfig("To Edge", connector.UsageInternal)
	toEdgeCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	if toEdgeCfg.SmartHosts, err = connector.ParseSmartHosts(*edge); err != nil {
		return err
	}
	toEdgeCfg.SourceTransportServers = cli.SplitList(*sources)
	toEdgeCfg.DNSRoutingEnabled = false
	toEdgeCfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	toEdgeCfg.AuthenticationCredential = connector.Credential{UserName: *edgeUser, Password: password}
	toEdgeCfg.RemotePrincipal = perms.EdgeTransportServers
	toEdgeCfg.ProtocolLoggingLevel = c.Logging()
	toEdge, err := toEdgeCfg.Build()
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
	opts = append(opts, transport.WithReceiveConnector(def), transport.WithSendConnector(toEdge))
	t, err := transport.New(opts...)
	if err != nil {
		return err
	}
	return c.Serve(ctx, t, out, fmt.Sprintf("hub %s for %s: edge %s", c.FQDN, c.Domains, *edge), []*connector.SendConnector{toEdge})
}
