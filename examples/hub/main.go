// Command hub is a Hub transport server of the seed document "How to
// Configure Internet Mail Flow Directly Through an Edge Transport Server
// Without Using EdgeSync" (seeds/001), run beside examples/edge:
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
// Stop it with SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/examples/internal/cli"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/smtpx"
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
	def, err := connector.NewReceive("Default "+c.FQDN, connector.WithUsage(connector.UsageInternal),
		connector.WithAuthMechanism(auth.TLS|auth.BasicAuth|auth.BasicAuthRequireTLS|auth.ExchangeServer),
		connector.WithPermissionGroups(perms.ExchangeUsers|perms.ExchangeServers|perms.ExchangeLegacyServers),
		connector.WithBindingList(*listen), connector.WithRemoteIPRangeList(*remote))
	if err != nil {
		return err
	}
	// New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False -SmartHosts edge01.contoso.net
	//   -SourceTransportServers hub01.contoso.com,hub02.contoso.com -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
	toEdge, err := connector.NewSend("To Edge", connector.WithUsage(connector.UsageInternal),
		connector.WithAddressSpaceList("*"), connector.WithDNSRouting(false), connector.WithSmartHostList(*edge),
		connector.WithSourceTransportServers(cli.SplitList(*sources)...),
		connector.WithSmartHostAuth(auth.SmartHostBasicAuthRequireTLS),
		connector.WithCredentials(*edgeUser, password),
		// The edge is ours: declared so, the send-side header firewall
		// keeps the Received and organization fields it needs (see
		// examples/edge).
		connector.WithRemotePrincipal(perms.EdgeTransportServers))
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
	opts = append(opts, smtpx.WithReceiveConnector(def), smtpx.WithSendConnector(toEdge))
	t, err := smtpx.NewTransport(opts...)
	if err != nil {
		return err
	}
	return c.Serve(ctx, t, out, fmt.Sprintf("hub %s for %s: edge %s", c.FQDN, c.Domains, *edge), []*connector.SendConnector{toEdge})
}
