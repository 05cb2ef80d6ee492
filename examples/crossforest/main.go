// Command crossforest is one forest's Hub transport server in the seed
// documents "Configuring Cross-Forest Connectors" (seeds/000, Exchange 2007)
// and its Exchange 2013 counterpart (seeds/002). Run one instance per forest
// (contoso.com and fourthcoffee.com); each sends the other forest's domain
// (-remote-domain) through a "Cross-Forest" send connector to the other's
// hubs (-remote-hubs) and delivers its own domains (-domains) to Maildir.
// -mode picks the seed's authentication:
//
//	basic-tls         -SmartHostAuthMechanism BasicAuthRequireTLS, and
//	                  Enable-CrossForestConnector -user "ANONYMOUS LOGON"
//	basic-requiretls  -SmartHostAuthMechanism BasicAuth -RequireTLS $True, and
//	                  Enable-CrossForestConnector; -tls-auth-level sets the
//	                  connector's TlsAuthLevel
//	external          -SmartHostAuthMechanism ExternalAuthoritative, plus a
//	                  "Cross-Forest" receive connector for the other forest's
//	                  addresses (-remote-ip) with ExternalAuthoritative
//
// basic-requiretls as the seeds configure it leaves TlsAuthLevel unset,
// which means EncryptionOnly: the session is encrypted, but the peer's
// certificate is not checked, so anyone who can answer for the other
// forest's hubs (a spoofed DNS record, a hijacked route, a host in the
// middle) is sent the forest account's password and the mail. It protects
// against passive eavesdropping only. -tls-auth-level
// CertificateValidation makes the peer prove a certificate from a trusted
// CA (-ca), DomainValidation also checks its name; basic-tls checks the
// smart host's name before sending credentials.
//
// In the Basic modes the other forest logs in to the default receive
// connector with an account of -users in the group "Exchange Servers"; this
// forest logs in to the other with -remote-user and -password-file.
//
// Stop it with SIGINT or SIGTERM; SIGHUP rereads the -users and -mailboxes
// files.
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

func main() { cli.Main("crossforest", run) }

func run(ctx context.Context, args []string, out io.Writer) error {
	var c cli.Common
	defer c.Close()
	fs := flag.NewFlagSet("crossforest", flag.ContinueOnError)
	fs.SetOutput(out)
	c.Register(fs, "huba.contoso.com")
	mode := fs.String("mode", "basic-tls", "basic-tls, basic-requiretls or external")
	listen := fs.String("listen", "0.0.0.0:25", "binding of the receive connectors")
	remoteDomain := fs.String("remote-domain", "fourthcoffee.com", "the other forest's domains (the send connector's address spaces)")
	remoteHubs := fs.String("remote-hubs", "hub1.fourthcoffee.com,hub2.fourthcoffee.com", "the other forest's hubs, comma-separated FQDN[:port]")
	remoteIP := fs.String("remote-ip", "", "external: the other forest's hub addresses")
	remoteUser := fs.String("remote-user", `FOURTHCOFFEE\contoso`, "Basic modes: account in the other forest (password in -password-file)")
	tlsLevel := fs.String("tls-auth-level", "", "basic-requiretls: TlsAuthLevel of the send connector, EncryptionOnly (default: no certificate checks), CertificateValidation or DomainValidation")
	if done, err := c.Parse(fs, args, out); done || err != nil {
		return err
	}
	password, err := c.Password()
	if err != nil {
		return err
	}
	bindings, err := connector.ParseBindings(*listen)
	if err != nil {
		return cli.Usagef("-listen: %v", err)
	}
	send := connector.NewSendConfig("Cross-Forest", connector.UsageInternal)
	send.ProtocolLoggingLevel = c.Logging()
	send.SourceTransportServers = []string{c.FQDN}
	if send.AddressSpaces, err = addrspace.ParseList(*remoteDomain); err != nil {
		return cli.Usagef("-remote-domain: %v", err)
	}
	if send.SmartHosts, err = connector.ParseSmartHosts(*remoteHubs); err != nil {
		return cli.Usagef("-remote-hubs: %v", err)
	}
	// The default receive connector: this forest's users, and in the Basic
	// modes the other forest's account (a member of "Exchange Servers").
	defCfg := connector.NewReceiveConfig("Default "+c.FQDN, connector.UsageInternal)
	defCfg.Bindings = bindings
	defCfg.RemoteIPRanges = []connector.IPRange{connector.AllIPv4}
	defCfg.AuthMechanism = auth.TLS | auth.BasicAuth | auth.BasicAuthRequireTLS | auth.ExchangeServer
	defCfg.PermissionGroups = perms.ExchangeUsers | perms.ExchangeServers | perms.ExchangeLegacyServers
	defCfg.ProtocolLoggingLevel = c.Logging()
	def, err := defCfg.Build()
	if err != nil {
		return err
	}
	recv := []*connector.ReceiveConnector{def}
	switch *mode {
	case "basic-tls":
		send.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
		send.AuthenticationCredential = connector.Credential{UserName: *remoteUser, Password: password}
		send.EnableCrossForest(perms.Anonymous, false)
	case "basic-requiretls":
		level, err := auth.ParseTLSAuthLevel(*tlsLevel)
		if err != nil {
			return cli.Usagef("-tls-auth-level: %v", err)
		}
		send.SmartHostAuthMechanism, send.RequireTLS, send.TlsAuthLevel = auth.SmartHostBasicAuth, true, level
		send.AuthenticationCredential = connector.Credential{UserName: *remoteUser, Password: password}
		send.EnableCrossForest(perms.Anonymous, false)
	case "external":
		if *remoteIP == "" {
			return cli.Usagef("-mode external needs -remote-ip")
		}
		send.SmartHostAuthMechanism = auth.SmartHostExternalAuthoritative
		// New-ReceiveConnector -Name "Cross-Forest" -PermissionGroups ExchangeServers
		//   -RemoteIPRanges <other forest's hub> -AuthMechanism ExternalAuthoritative -Bindings 0.0.0.0:25
		cfCfg := connector.NewReceiveConfig("Cross-Forest", connector.UsageCustom)
		if cfCfg.RemoteIPRanges, err = connector.ParseIPRanges(*remoteIP); err != nil {
			return cli.Usagef("-remote-ip: %v", err)
		}
		cfCfg.Bindings = bindings
		cfCfg.PermissionGroups = perms.ExchangeServers
		cfCfg.AuthMechanism = auth.ExternalAuthoritative
		cfCfg.ProtocolLoggingLevel = c.Logging()
		cf, err := cfCfg.Build()
		if err != nil {
			return err
		}
		recv = append(recv, cf)
	default:
		return cli.Usagef("-mode must be basic-tls, basic-requiretls or external, not %q", *mode)
	}
	if *tlsLevel != "" && *mode != "basic-requiretls" {
		return cli.Usagef("-tls-auth-level applies to -mode basic-requiretls only")
	}
	if c.Domains == "" {
		return cli.Usagef("-domains (this forest's, with -maildir) is required")
	}
	crossForest, err := send.Build()
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
	opts = append(opts, transport.WithReceiveConnector(recv...), transport.WithSendConnector(crossForest))
	t, err := transport.New(opts...)
	if err != nil {
		return err
	}
	return c.Serve(ctx, t, out, fmt.Sprintf("crossforest %s (%s): mode %s, %s via %s", c.FQDN, c.Domains, *mode, *remoteDomain, *remoteHubs), []*connector.SendConnector{crossForest})
}
