package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/internal/cli"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/queue/pgstore"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/tlsrpt"
	"github.com/hubedge/hubedge/tracking"
	"github.com/hubedge/hubedge/transport"
)

// runFlags are the common server flags run offers: what a script cannot
// say (where the queue and the mailboxes live, certificates, the users
// file, DNS) or what it says per server rather than per organization.
var runFlags = []string{"fqdn", "site", "queue", "maildir", "mailboxes", "cert", "key", "ca", "selfsigned",
	"users", "dns", "dnssec", "hosts", "mx-port", "log", "grace"}

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
From flags: the queue directory (or -queue-postgres, a queue in PostgreSQL
shared by a pool of hubs), the Maildir root and mailbox list of the
authoritative domains, the TLS certificate and trusted CAs, the users file
for AUTH, the credentials file for $name = Get-Credential, DNS servers, and
the management API (-manage, -manage-token; off unless -manage is given).
The message tracking log is written to Set-TransportServer
-MessageTrackingLogPath when the scripts set it, with subjects unless
-MessageTrackingLogSubjectLoggingEnabled $false.

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
		usage := f.Usage
		if u, ok := runUsage[name]; ok {
			usage = u
		}
		fs.Var(f.Value, f.Name, usage)
	}
	var mf manageFlags
	mf.register(fs)
	var milters milterFlags
	milters.register(fs)
	pg := fs.String("queue-postgres", "", "keep the queue in PostgreSQL, shared by a pool of hubs (a pgx `DSN`, e.g. \"host=/run/postgresql dbname=hubedge\"), instead of -queue; -server names this hub in the pool")
	tlsReports := fs.String("tls-report-dir", "", "count DANE and MTA-STS sessions and write each day's TLS-RPT aggregate report (RFC 8460, JSON) to `dir`")
	tlsContact := fs.String("tls-report-contact", "", "the contact address the TLS-RPT reports name (default postmaster@<fqdn>)")
	var tlsMail tlsReportMail
	tlsMail.register(fs)
	backPressure := fs.Bool("back-pressure", true, "refuse new mail with 452 4.3.1 while the queue's disk or the process's memory is short (the reference system's thresholds)")
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	switch {
	case c.QueueDir == "" && *pg == "":
		return usagef("run: -queue DIR (or -queue-postgres DSN) is required: a 250 reply means the message is on disk there")
	case c.QueueDir != "" && *pg != "":
		return usagef("run: -queue and -queue-postgres exclude each other")
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
	if sf.credentials == "" {
		for _, s := range cfg.SendConnectors {
			if s.CredentialVar != "" {
				return usagef("run: send connector %q logs on with $%s = Get-Credential: give -credentials FILE (a line `%s user password-file`)",
					s.Config.Name, s.CredentialVar, s.CredentialVar)
			}
		}
	}
	mgmt, err := mf.listen()
	if err != nil {
		return err
	}
	defer mgmt.close()
	c.OwnQueue = *pg != ""
	opts, err := c.ServerOptions(log, false)
	if err != nil {
		return err
	}
	b, err := serverOptions(log, &c, cfg, sf.server)
	if err != nil {
		return err
	}
	defer b.close(log)
	chain, err := antiSpamAgents(log, cfg, sf.role == "edge", c.FQDN, cli.SplitList(c.DNS), c.MailboxDirectory(),
		acceptedDomains(cfg))
	if err == nil {
		chain, err = milters.add(log, chain, c.FQDN)
	}
	if err != nil {
		return err
	}
	if chain != nil {
		b.opts = append(b.opts, transport.WithAgents(chain))
		log.Info("transport agents", "agents", chain.Agents())
	}
	var reports *tlsrpt.Recorder
	if *tlsReports != "" {
		if err := os.MkdirAll(*tlsReports, 0o750); err != nil {
			return err
		}
		contact := *tlsContact
		if contact == "" {
			contact = "postmaster@" + c.FQDN
		}
		reports = tlsrpt.NewRecorder(c.FQDN, contact)
		b.opts = append(b.opts, transport.WithDeliverOptions(deliver.WithTLSReporter(reports), deliver.WithTLSReportSender(*tlsMail.from)))
	}
	obs := &observer{server: sf.server, track: b.track}
	var store *pgstore.Store
	if *pg != "" {
		if store, err = pgstore.Open(ctx, pgstore.Config{DSN: *pg, Hub: sf.server, Logger: log, CommitObserver: obs.poolCommit}); err != nil {
			return fmt.Errorf("run: -queue-postgres: %w", err)
		}
		b.opts = append(b.opts, transport.WithQueueStore(store))
	}
	b.opts = append(b.opts, transport.WithTrace(obs.event))
	local, err := openLocalQueue(c.QueueDir, mgmt != nil, obs)
	if err != nil {
		return err
	}
	defer local.close()
	b.opts = append(b.opts, local.options()...)
	if *backPressure {
		b.opts = append(b.opts, transport.WithBackPressure(smtpx.BackPressure{}))
	}
	t, err := transport.New(append(opts, b.opts...)...)
	if err != nil {
		if strings.Contains(err.Error(), "no certificate was given") {
			return fmt.Errorf("%w: give -cert and -key, or -selfsigned", err)
		}
		return err
	}
	var current atomic.Pointer[cmdlet.Config]
	current.Store(cfg)
	where := c.QueueDir
	if store != nil {
		where = "PostgreSQL, hub " + sf.server + " of its pool"
	}
	banner := fmt.Sprintf("hubedge %s: %s as %s (%s), queue %s", sf.role, strings.Join(sf.files, ", "), sf.server, c.FQDN, where)
	if err := c.Start(ctx, t, stdout, banner, b.send); err != nil {
		if store != nil {
			store.Close()
		}
		return err
	}
	local.started()
	mailer, err := tlsMail.mailer(reports, cli.SplitList(c.DNS), t.Queue(), c.FQDN)
	if err != nil {
		_ = c.Stop(t)
		return err
	}
	pool := attachPool(ctx, log, t.Queue(), store)
	metrics := mgmt.serve(log, t.Queue(), b.track, sf.server, func() *cmdlet.Config { return current.Load() }, pool...)
	obs.start(t.Queue(), metrics)
	if store != nil {
		exportPoolCommits(metrics, store)
	}
	metrics.BackPressure("transport", int(t.Pressure()))
	if mgmt != nil {
		fmt.Fprintf(stdout, "management API and Queue Viewer on %s\n", mgmt.addr())
	}
	daily := time.NewTicker(time.Hour)
	defer daily.Stop()
	for hup := cli.Hangups(ctx); ; {
		select {
		case <-daily.C:
			writeTLSReports(ctx, log, reports, *tlsReports, c.FQDN, mailer)
		case <-ctx.Done():
			err := c.Stop(t)
			writeTLSReports(ctx, log, reports, *tlsReports, c.FQDN, nil)
			return err
		case <-hup:
			c.ReloadFiles()
			if next, ok := reload(ctx, log, &sf, t, current.Load()); ok {
				current.Store(next)
			}
		}
	}
}

// runUsage are run's own words for flags it shares with the examples.
var runUsage = map[string]string{
	"queue":      "durable queue `directory` (or -queue-postgres)",
	"mailboxes":  "the mailboxes of the authoritative accepted domains, one per line: an address, or a user name with a mailbox in each of them; RCPT for anyone else gets 550 5.1.1",
	"selfsigned": "generate a self-signed certificate for -fqdn (peers verify it only if given it as their -ca)",
}

// built is what serverOptions makes of a configuration.
type built struct {
	opts  []transport.Option
	send  []*connector.SendConnector
	logs  []*protolog.Log
	track *tracking.Log // nil without -MessageTrackingLogPath
}

func (b *built) close(log *slog.Logger) {
	for _, l := range b.logs {
		if err := l.Close(); err != nil {
			log.Error("closing a protocol log", "err", err)
		}
	}
	if err := b.track.Close(); err != nil {
		log.Error("closing the message tracking log", "err", err)
	}
}

// serverOptions turns the part of cfg that applies to server into
// transport options.
func serverOptions(log *slog.Logger, c *cli.Common, cfg *cmdlet.Config, server string) (*built, error) {
	tc := transportConfig(cfg, server)
	b := &built{send: tc.SendConnectors}
	domainOpts, err := c.DomainOptions(log, tc.AcceptedDomains)
	if err != nil {
		return nil, err
	}
	ts := cfg.TransportServer
	b.opts = append(domainOpts,
		transport.WithReceiveConnector(tc.ReceiveConnectors...),
		transport.WithSendConnector(tc.SendConnectors...),
		transport.WithQueueOptions(queue.WithRetryPolicy(queue.RetryPolicy{
			TransientFailureRetryCount:             ts.TransientFailureRetryCount,
			TransientFailureRetryInterval:          ts.TransientFailureRetryInterval,
			OutboundConnectionFailureRetryInterval: ts.OutboundConnectionFailureRetryInterval,
			MessageRetryInterval:                   ts.MessageRetryInterval,
			MessageExpirationTimeout:               ts.MessageExpirationTimeout,
			DelayNotificationTimeout:               ts.DelayNotificationTimeout,
		}), queue.WithMaxConcurrency(connectionLimit(ts.MaxOutboundConnections)),
			queue.WithMaxPerHop(connectionLimit(ts.MaxPerDomainOutboundConnections))))
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
		b.opts = append(b.opts, transport.WithProtocolLog(recv, sendLog))
	}
	if dir := ts.MessageTrackingLogPath; dir != "" {
		if b.track, err = tracking.Open(dir, tracking.WithSubjectLogging(ts.MessageTrackingLogSubjectLoggingEnabled)); err != nil {
			b.close(log)
			return nil, err
		}
	}
	return b, nil
}

// transportConfig is the part of cfg that server runs: its receive
// connectors, the send connectors it is a source of, the accepted domains.
func transportConfig(cfg *cmdlet.Config, server string) transport.Config {
	send, receive := cfg.ForServer(server)
	var tc transport.Config
	for _, s := range send {
		tc.SendConnectors = append(tc.SendConnectors, s.Connector)
	}
	for _, r := range receive {
		tc.ReceiveConnectors = append(tc.ReceiveConnectors, r.Connector)
	}
	tc.AcceptedDomains = acceptedDomains(cfg)
	return tc
}

// acceptedDomains are cfg's accepted domains, which every server of the
// organization shares.
func acceptedDomains(cfg *cmdlet.Config) []routing.AcceptedDomain {
	var ds []routing.AcceptedDomain
	for _, d := range cfg.AcceptedDomains {
		ds = append(ds, d.AcceptedDomain)
	}
	return ds
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

// reload re-reads the scripts and swaps the connectors and accepted
// domains they describe into t. On any error the running configuration
// stays and every error is logged. Settings the transport fixes at start
// (Set-TransportServer timers and log paths) need a restart; a change of
// them is logged as such.
func reload(ctx context.Context, log *slog.Logger, sf *scriptFlags, t *transport.Transport, old *cmdlet.Config) (*cmdlet.Config, bool) {
	cfg, err := sf.load()
	if err == nil {
		err = t.Reconfigure(ctx, transportConfig(cfg, sf.server))
	}
	if err != nil {
		log.Error("SIGHUP: the running configuration stays", "files", sf.files, "err", err)
		return nil, false
	}
	if cfg.TransportServer != old.TransportServer || cfg.TransportConfig != old.TransportConfig {
		log.Warn("SIGHUP: Set-TransportServer and Set-TransportConfig changes take effect at the next start")
	}
	if !reflect.DeepEqual(antiSpamSettings(cfg), antiSpamSettings(old)) {
		log.Warn("SIGHUP: anti-spam agent settings (Set-ContentFilterConfig, the IP Block and Allow lists, ...) take effect at the next start")
	}
	log.Info("SIGHUP: configuration reloaded", "files", sf.files)
	return cfg, true
}

// connectionLimit is a Set-TransportServer connection limit as the queue
// takes it: unlimited is as many as an int holds.
func connectionLimit(l cmdlet.Limit) int {
	if l == cmdlet.Unlimited {
		return math.MaxInt
	}
	return int(l)
}
