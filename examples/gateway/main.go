// Command gateway is the Hub transport server of the seed document "How to
// Configure Internet Mail Flow Through Exchange Hosted Services or an
// External SMTP Gateway" (seeds/004): all Internet mail leaves through a
// "ToInternetGateway" send connector (address space *, the gateway as smart
// host, no DNS routing), and mail from the gateway comes in on a receive
// connector. -mode picks the seed's authentication method:
//
//	basic            Basic authentication over TLS both ways: the send
//	                 connector logs in to the gateway (-smarthost-user and
//	                 HUBEDGE_SMARTHOST_PASSWORD); the gateway logs in to the
//	                 default receive connector with an account of -users.
//	external         Externally Secured (IPsec, VPN...): both connectors are
//	                 ExternalAuthoritative; the receive side trusts -remote.
//	anonymous-relay  the method of last resort: anonymous sessions from
//	                 -remote get Ms-Exch-SMTP-Accept-Any-Recipient.
//
// The relay benchmark runs it as
//
//	gateway -mode anonymous-relay -listen 127.0.0.1:2525 -smarthost 127.0.0.1:2526 -remote 127.0.0.0/8 -queue /var/spool/hubedge
//
// Stop it with SIGINT or SIGTERM; it finishes the sessions and deliveries in
// progress within -grace. SIGHUP rereads the -users and -mailboxes files.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/cli"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/transport"
)

func main() { cli.Main("gateway", run) }

func run(ctx context.Context, args []string, out io.Writer) error {
	var c cli.Common
	defer c.Close()
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(out)
	c.Register(fs, "huba.contoso.com")
	mode := fs.String("mode", "", "authentication toward the gateway: basic, external or anonymous-relay")
	listen := fs.String("listen", "0.0.0.0:25", "binding of the receive connector from the gateway")
	smartHosts := fs.String("smarthost", "", "the external SMTP gateway(s), comma-separated host[:port]")
	remote := fs.String("remote", "", "the gateway's IP ranges allowed on the receive connector (external, anonymous-relay)")
	user := fs.String("smarthost-user", "", "basic: user name the send connector logs in with (password in -password-file)")
	perHop := fs.Int("per-hop", 20, "concurrent deliveries (and pooled connections) to the gateway")
	perSource := fs.Int("max-per-source", 200, "concurrent connections accepted from one gateway address")
	maxInbound := fs.Int("max-inbound", 5000, "concurrent connections accepted on the receive connector (MaxInboundConnection)")
	perConn := fs.Int("max-per-conn", 20, "messages sent over one connection to the gateway before it is closed (MaxMessagesPerConnection)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until exit (benchmarks)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (benchmarks)")
	if done, err := c.Parse(fs, args, out); done || err != nil {
		return err
	}
	password, err := c.Password()
	if err != nil {
		return err
	}
	if *smartHosts == "" {
		return cli.Usagef("-smarthost is required")
	}
	stopProfiling, err := profile(*cpuProfile, *pprofAddr)
	if err != nil {
		return err
	}
	defer stopProfiling()
	// The mode chooses the usage types, whose defaults come first.
	sendUsage, recvUsage, recvName, needTLS := connector.UsageCustom, connector.UsageCustom, "FromInternetGateway", false
	switch *mode {
	case "basic":
		if *user == "" || c.Users == "" {
			return cli.Usagef("-mode basic needs -smarthost-user and -users")
		}
		recvUsage, recvName, needTLS = connector.UsageInternal, "Default "+c.FQDN, true
	case "external":
		if *remote == "" {
			return cli.Usagef("-mode external needs -remote (the gateway's addresses)")
		}
		sendUsage, recvUsage = connector.UsageInternal, connector.UsageInternal
	case "anonymous-relay":
		if *remote == "" {
			return cli.Usagef("-mode anonymous-relay needs -remote (the gateway's addresses)")
		}
		sendUsage = connector.UsageInternet
	default:
		return cli.Usagef("-mode must be basic, external or anonymous-relay, not %q", *mode)
	}
	send := connector.NewSendConfig("ToInternetGateway", sendUsage)
	send.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	if send.SmartHosts, err = connector.ParseSmartHosts(*smartHosts); err != nil {
		return cli.Usagef("-smarthost: %v", err)
	}
	send.DNSRoutingEnabled = false
	send.SourceTransportServers = []string{c.FQDN}
	send.SmtpMaxMessagesPerConnection = *perConn
	send.ProtocolLoggingLevel = c.Logging()
	recv := connector.NewReceiveConfig(recvName, recvUsage)
	if recv.Bindings, err = connector.ParseBindings(*listen); err != nil {
		return cli.Usagef("-listen: %v", err)
	}
	recv.MaxInboundConnectionPerSource, recv.MaxInboundConnection = *perSource, *maxInbound
	recv.ProtocolLoggingLevel = c.Logging()
	if *remote != "" {
		if recv.RemoteIPRanges, err = connector.ParseIPRanges(*remote); err != nil {
			return cli.Usagef("-remote: %v", err)
		}
	}
	switch *mode {
	case "basic":
		// New-SendConnector ... -SmartHostAuthMechanism BasicAuth,BasicAuthRequireTLS -AuthenticationCredential $mycred;
		// inbound, the default receive connector takes the gateway's login.
		send.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		send.AuthenticationCredential = connector.Credential{UserName: *user, Password: password}
		if *remote == "" { // the default receive connector takes every IPv4 address
			recv.RemoteIPRanges = []connector.IPRange{connector.AllIPv4}
		}
		recv.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS
		recv.PermissionGroups = perms.ExchangeUsers
	case "external":
		// New-SendConnector -Usage Internal ... -SmartHostAuthMechanism ExternalAuthoritative;
		// New-ReceiveConnector -Usage Internal -RemoteIPRanges <gateway> -AuthMechanism ExternalAuthoritative.
		send.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative
		recv.AuthMechanism = auth.ExternalAuthoritative
	case "anonymous-relay":
		// New-SendConnector -Usage Internet ... -SmartHostAuthMechanism None;
		// New-ReceiveConnector -Usage Custom -PermissionGroups AnonymousUsers -RemoteIpRanges <gateway>, then
		// Add-ADPermission -User "NT AUTHORITY\ANONYMOUS LOGON" -ExtendedRights Ms-Exch-SMTP-Accept-Any-Recipient.
		send.SmartHostAuthMechanism = auth.SmartHostNone
		recv.PermissionGroups = perms.AnonymousUsers
		recv.Permissions = []connector.Permission{{User: perms.Anonymous, ExtendedRights: perms.AcceptAnyRecipient}}
	}
	toGateway, err := send.Build()
	if err != nil {
		return err
	}
	fromGateway, err := recv.Build()
	if err != nil {
		return err
	}
	log, err := c.Logger(out)
	if err != nil {
		return err
	}
	opts, err := c.Options(log, needTLS)
	if err != nil {
		return err
	}
	opts = append(opts, transport.WithReceiveConnector(fromGateway), transport.WithSendConnector(toGateway),
		transport.WithQueueOptions(queue.WithMaxPerHop(*perHop)), transport.WithServerOptions(smtpx.WithListen(listenNoKeepAlive)),
		transport.WithDeliverOptions(deliver.WithMaxIdleConnsPerHop(*perHop)))
	t, err := transport.New(opts...)
	if err != nil {
		return err
	}
	return c.Serve(ctx, t, out, fmt.Sprintf("gateway %s: mode %s", c.FQDN, *mode), []*connector.SendConnector{toGateway})
}

// listenNoKeepAlive opens the bindings without TCP keep-alive: Go would
// enable it on every accepted connection with four setsockopt calls, and
// the receive connector's ConnectionTimeout and inactivity timeout already
// end sessions whose peer vanished.
func listenNoKeepAlive(network, addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), network, addr)
}
