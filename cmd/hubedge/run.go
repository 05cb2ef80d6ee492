package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/cli"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
)

// runFlags are the common server flags run offers: what a script cannot
// say (where the queue and the mailboxes live, certificates, the users
// file, DNS) or what it says per server rather than per organization.
var runFlags = []string{"fqdn", "site", "queue", "maildir", "mailboxes", "cert", "key", "ca", "selfsigned",
	"users", "dns", "hosts", "mx-port", "log", "grace"}

const runSynopsis = `run [-server NAME] [-role hub|edge] [-credentials FILE] -queue DIR [flags] FILE...

Runs the transport server the scripts describe, as the server -server
names: its receive connectors (those created with its -Server, or without
one), the send connectors it is a source transport server of (or that
name none), the accepted domains and the Set-TransportServer and
Set-TransportConfig settings.

From the scripts: connectors, permissions, accepted domains, retry and
expiry timers (Set-TransportServer), the protocol log directories
(Set-TransportServer -ReceiveProtocolLogPath/-SendProtocolLogPath, used by
connectors whose ProtocolLoggingLevel is Verbose), size and recipient
limits (Set-TransportConfig).
From flags: the queue directory, the Maildir root and mailbox list of the
authoritative domains, the TLS certificate and trusted CAs, the users file
for AUTH, the credentials file for $name = Get-Credential, DNS servers.

SIGHUP re-reads the scripts and swaps the configuration; a script with
errors leaves the running one in place. SIGINT or SIGTERM stop the server
gracefully within -grace.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf scriptFlags
	var c cli.Common
	defer c.Close()
	fs := newFlagSet("run", stderr, runSynopsis)
	sf.register(fs)
	common := flag.NewFlagSet("common", flag.ContinueOnError)
	c.Register(common, "")
	for _, name := range runFlags {
		f := common.Lookup(name)
		fs.Var(f.Value, f.Name, f.Usage)
	}
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	if c.QueueDir == "" {
		return usagef("run: -queue DIR is required: a 250 reply means the message is on disk there")
	}
	if c.FQDN == "" {
		c.FQDN = sf.server
	}
	log, err := c.Logger(stdout)
	if err != nil {
		return err
	}
	cfg, err := sf.load()
	if err != nil {
		return err
	}
	opts, err := c.ServerOptions(log, false)
	if err != nil {
		return err
	}
	built, err := serverOptions(log, &c, cfg, sf.server)
	if err != nil {
		return err
	}
	t, err := smtpx.NewTransport(append(opts, built.opts...)...)
	if err != nil {
		return err
	}
	defer built.close(log)
	banner := fmt.Sprintf("hubedge %s: %s as %s (%s), queue %s", sf.role, strings.Join(sf.files, ", "), sf.server, c.FQDN, c.QueueDir)
	if err := c.Start(ctx, t, stdout, banner, built.send); err != nil {
		return err
	}
	for hup := cli.Hangups(ctx); ; {
		select {
		case <-ctx.Done():
			return c.Stop(t)
		case <-hup:
			c.ReloadFiles()
			reload(log, &c, &sf, t)
		}
	}
}

// built is what serverOptions makes of a configuration.
type built struct {
	opts []smtpx.Option
	send []*connector.SendConnector
	logs []*protolog.Log
}

func (b *built) close(log *slog.Logger) {
	for _, l := range b.logs {
		if err := l.Close(); err != nil {
			log.Error("closing a protocol log", "err", err)
		}
	}
}

// serverOptions turns the part of cfg that applies to server into
// transport options.
func serverOptions(log *slog.Logger, c *cli.Common, cfg *cmdlet.Config, server string) (*built, error) {
	send, receive := cfg.ForServer(server)
	b := &built{}
	for _, s := range send {
		b.send = append(b.send, s.Connector)
	}
	var rcs []*connector.ReceiveConnector
	for _, r := range receive {
		rcs = append(rcs, r.Connector)
	}
	var domains []routing.AcceptedDomain
	for _, d := range cfg.AcceptedDomains {
		domains = append(domains, d.AcceptedDomain)
	}
	domainOpts, err := c.DomainOptions(log, domains)
	if err != nil {
		return nil, err
	}
	ts := cfg.TransportServer
	b.opts = append(domainOpts,
		smtpx.WithReceiveConnector(rcs...),
		smtpx.WithSendConnector(b.send...),
		smtpx.WithQueueOptions(queue.WithRetryPolicy(queue.RetryPolicy{
			TransientFailureRetryCount:             ts.TransientFailureRetryCount,
			TransientFailureRetryInterval:          ts.TransientFailureRetryInterval,
			OutboundConnectionFailureRetryInterval: ts.OutboundConnectionFailureRetryInterval,
			MessageRetryInterval:                   ts.MessageRetryInterval,
			MessageExpirationTimeout:               ts.MessageExpirationTimeout,
			DelayNotificationTimeout:               ts.DelayNotificationTimeout,
		})))
	recv, err := openProtocolLog(ts.ReceiveProtocolLogPath, protolog.Receive)
	if err != nil {
		return nil, err
	}
	sendLog, err := openProtocolLog(ts.SendProtocolLogPath, protolog.Send)
	if err != nil {
		if recv != nil {
			recv.Close()
		}
		return nil, err
	}
	for _, l := range []*protolog.Log{recv, sendLog} {
		if l != nil {
			b.logs = append(b.logs, l)
		}
	}
	if len(b.logs) > 0 {
		b.opts = append(b.opts, smtpx.WithProtocolLog(recv, sendLog))
	}
	return b, nil
}

func openProtocolLog(dir string, kind protolog.Type) (*protolog.Log, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return protolog.Open(dir, protolog.WithType(kind))
}

// reload re-reads the scripts; until the transport can swap its
// configuration in place, a changed configuration is only checked.
func reload(log *slog.Logger, c *cli.Common, sf *scriptFlags, t *smtpx.Transport) {
	if _, err := sf.load(); err != nil {
		log.Error("SIGHUP: the scripts have errors; the running configuration stays", "err", err)
		return
	}
	log.Info("SIGHUP: scripts re-read", "files", sf.files)
}
