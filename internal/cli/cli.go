package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/protolog"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
	"golang.org/x/crypto/bcrypt"
)

// ErrUsage reports a flag combination the program cannot run with.
var ErrUsage = errors.New("cli: usage")

// ErrQueueInUse reports that another process serves the -queue directory.
var ErrQueueInUse = errors.New("queue directory in use by another process")

// lockFile, in the queue directory, holds the pid of the process serving
// it. The flock on it is the lock, not the file, which stays after a clean
// stop, as Postfix's master.pid does.
const lockFile = "hubedge.pid"

// Usagef returns an error wrapping ErrUsage.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// Common are the flags every reference server takes.
type Common struct {
	FQDN       string
	Site       string
	QueueDir   string
	OwnQueue   bool // the program gives the transport a queue store of its own
	DNSSEC     bool
	Maildir    string
	Domains    string
	CertFile   string
	KeyFile    string
	CAFile     string
	SelfSigned bool
	Users      string
	Mailboxes  string
	ProtoLog   string
	LogLevel   string
	DNS        string
	PassFile   string
	Hosts      string
	Bcrypt     bool
	GenCert    string

	harness smtptest.Standalone // owns the -hosts DNS server
	MXPort  uint
	Grace   time.Duration

	log       *slog.Logger
	users     *usersFile   // -users, reloaded on SIGHUP
	mailboxes *mailboxFile // -mailboxes, reloaded on SIGHUP
	lock      *os.File     // held on the queue directory while serving
	protoLogs []*protolog.Log
}

// Register defines the common flags on fs with fqdn as the default server
// name.
func (c *Common) Register(fs *flag.FlagSet, fqdn string) {
	fs.StringVar(&c.FQDN, "fqdn", fqdn, "this transport server's FQDN (banner, Received, source server name)")
	fs.StringVar(&c.Site, "site", "Default-First-Site-Name", "this server's site")
	fs.StringVar(&c.QueueDir, "queue", "", "durable queue directory (empty: in memory, NOT durable)")
	fs.StringVar(&c.Maildir, "maildir", "", "Maildir root for the accepted domains' mailboxes")
	fs.StringVar(&c.Domains, "domains", "", "authoritative accepted domains, comma-separated")
	fs.StringVar(&c.CertFile, "cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&c.KeyFile, "key", "", "TLS key file (PEM)")
	fs.StringVar(&c.CAFile, "ca", "", "CA certificates (PEM) trusted for outbound TLS (default: the system pool)")
	fs.BoolVar(&c.SelfSigned, "selfsigned", false, "generate a self-signed certificate for -fqdn at start (peers cannot verify it: see -gen-cert)")
	fs.StringVar(&c.Users, "users", "", "credentials file (user:bcrypt-hash[:groups] per line) for AUTH")
	fs.StringVar(&c.Mailboxes, "mailboxes", "", "the mailboxes of -domains, one per line: an address, or a user name with a mailbox in each domain\n"+
		"(text from the first ':' on is ignored, so a -users file of such names will do); other recipients get 550 5.1.1\n"+
		"(default: every local part is accepted)")
	fs.BoolVar(&c.DNSSEC, "dnssec", false, "the -dns servers are DNSSEC-validating resolvers on loopback (unbound): trust their AD bit, which turns on DANE for DNS-routed send connectors")
	fs.StringVar(&c.DNS, "dns", "", "DNS servers (host:port, comma-separated) for MX and smart-host lookups (default: /etc/resolv.conf)")
	fs.StringVar(&c.Hosts, "hosts", "", "single-machine trials: name=ip,... served by an in-process DNS server used instead of -dns")
	fs.UintVar(&c.MXPort, "mx-port", 0, "dial mail exchangers on this port instead of 25 (loopback set-ups)")
	fs.StringVar(&c.PassFile, "password-file", "", "file holding the password the send connectors log in with (default: $HUBEDGE_SMARTHOST_PASSWORD)")
	fs.BoolVar(&c.Bcrypt, "bcrypt", false, "read a password on stdin, print its bcrypt hash for a -users file, and exit")
	fs.StringVar(&c.GenCert, "gen-cert", "", "write a self-signed certificate for -fqdn to `dir`/<fqdn>.crt and its key to <fqdn>.key, and exit:\n"+
		"the pair for -cert/-key, and the .crt is what a peer trusts with -ca")
	fs.StringVar(&c.LogLevel, "log", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.ProtoLog, "protocol-log", "", "keep the SMTP protocol log of every connector (commands and replies, AUTH redacted,\n"+
		"no bodies) in CSV files under `dir`/SmtpReceive and dir/SmtpSend")
	fs.DurationVar(&c.Grace, "grace", 10*time.Second, "shutdown deadline for sessions and deliveries in progress")
}

// Parse parses args. With -bcrypt it hashes the password read from Stdin
// and prints the hash to out; with -gen-cert it writes a certificate and
// key; both then report done.
func (c *Common) Parse(fs *flag.FlagSet, args []string, out io.Writer) (done bool, err error) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return false, err
	} else if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUsage, err) // exit 2, as Go's own tools do
	}
	if c.GenCert != "" {
		return true, c.genCert(out)
	}
	if !c.Bcrypt {
		return false, nil
	}
	line, err := bufio.NewReader(Stdin).ReadString('\n')
	if err != nil && line == "" {
		return true, fmt.Errorf("cli: reading the password: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(line, "\r\n")), bcrypt.DefaultCost)
	if err != nil {
		return true, err
	}
	_, err = fmt.Fprintf(out, "%s\n", hash)
	return true, err
}

// Stdin is where -bcrypt reads the password; tests replace it.
var Stdin io.Reader = os.Stdin

// Logger returns a text slog.Logger writing to out at the -log level.
func (c *Common) Logger(out io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, Usagef("-log %q: %v", c.LogLevel, err)
	}
	c.log = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lvl}))
	return c.log, nil
}

// Certificate returns the server certificate from -cert/-key or
// -selfsigned, or ok false when none was asked for.
func (c *Common) Certificate() (cert tls.Certificate, ok bool, err error) {
	switch {
	case c.SelfSigned && c.CertFile != "":
		return cert, false, Usagef("-selfsigned and -cert exclude each other")
	case c.SelfSigned:
		cert, err = smtptest.SelfSigned(c.FQDN)
		return cert, err == nil, err
	case c.CertFile != "" || c.KeyFile != "":
		if cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
			return cert, false, fmt.Errorf("cli: -cert %s -key %s: %w", c.CertFile, c.KeyFile, err)
		}
		return cert, true, nil
	}
	return cert, false, nil
}

// genCert writes a new self-signed certificate for -fqdn and its key as
// PEM files under -gen-cert. A self-signed certificate is its own CA, so two
// servers that each pass the other's .crt to -ca verify each other without
// a PKI of their own.
func (c *Common) genCert(out io.Writer) error {
	cert, err := smtptest.SelfSigned(c.FQDN)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return err
	}
	crt, key := filepath.Join(c.GenCert, c.FQDN+".crt"), filepath.Join(c.GenCert, c.FQDN+".key")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "wrote %s and %s\n", crt, key)
	return err
}

// AcceptedDomains parses -domains as authoritative accepted domains.
func (c *Common) AcceptedDomains() []routing.AcceptedDomain {
	var ds []routing.AcceptedDomain
	for _, d := range SplitList(c.Domains) {
		ds = append(ds, routing.AcceptedDomain{Domain: d})
	}
	return ds
}

// Options returns the smtpx options the common flags stand for:
// ServerOptions, then the -domains accepted domains and their Maildir
// delivery (DomainOptions).
func (c *Common) Options(log *slog.Logger, needTLS bool) ([]transport.Option, error) {
	opts, err := c.ServerOptions(log, needTLS)
	if err != nil {
		return nil, err
	}
	more, err := c.DomainOptions(log, c.AcceptedDomains())
	if err != nil {
		return nil, err
	}
	return append(opts, more...), nil
}

// MailboxDirectory returns the -mailboxes directory once DomainOptions has loaded
// it, or nil.
func (c *Common) MailboxDirectory() local.Directory {
	if c.mailboxes == nil {
		return nil
	}
	return c.mailboxes
}

// ServerOptions returns the smtpx options of the flags that do not depend
// on the accepted domains: name, site, logger, queue, protocol log,
// certificate, resolver, trusted CAs and authenticator. needTLS makes a
// missing certificate an error.
//
// With -queue, a process the Go runtime gives a single P (one CPU, or a
// CPU limit of one) is given a second one and logs it, unless
// GOMAXPROCS is set in the environment: see raiseLoneP.
func (c *Common) ServerOptions(log *slog.Logger, needTLS bool) ([]transport.Option, error) {
	if c.Grace < 0 { // checked here, where every program's flags meet
		return nil, Usagef("-grace %v: want a duration of 0 or more", c.Grace)
	}
	opts := []transport.Option{transport.WithServerName(c.FQDN), transport.WithSite(c.Site), transport.WithLogger(log)}
	if c.QueueDir != "" {
		if err := c.lockQueue(); err != nil {
			return nil, err
		}
		opts = append(opts, transport.WithQueueDir(c.QueueDir))
	} else if !c.OwnQueue {
		// The transport's start line warns that mail is lost on exit.
		opts = append(opts, transport.WithMemoryQueue())
	}
	if c.ProtoLog != "" {
		recv, send, err := protolog.OpenSet(c.ProtoLog)
		if err != nil {
			return nil, err
		}
		c.protoLogs = []*protolog.Log{recv, send}
		opts = append(opts, transport.WithProtocolLog(recv, send))
	}
	cert, ok, err := c.Certificate()
	if err != nil {
		return nil, err
	}
	if ok {
		opts = append(opts, transport.WithServerOptions(smtpx.WithTLSCertificate(cert)), transport.WithDeliverOptions(deliver.WithClientCertificate(cert)))
	} else if needTLS {
		return nil, Usagef("this mode needs TLS: give -cert and -key, or -selfsigned")
	}
	dnsServers := SplitList(c.DNS)
	if c.Hosts != "" {
		addr, err := c.serveHosts(log)
		if err != nil {
			return nil, err
		}
		dnsServers = []string{addr}
	}
	if c.DNSSEC && len(dnsServers) == 0 {
		return nil, Usagef("-dnssec needs -dns: the validating resolvers on this machine to trust")
	}
	if len(dnsServers) > 0 {
		r, err := mx.New(mx.WithServers(dnsServers...), mx.WithTrustAD(c.DNSSEC))
		if err != nil {
			return nil, err
		}
		opts = append(opts, transport.WithDeliverOptions(deliver.WithResolver(r)))
	}
	if c.MXPort != 0 {
		if c.MXPort > 65535 {
			return nil, Usagef("-mx-port %d out of range", c.MXPort)
		}
		opts = append(opts, transport.WithDeliverOptions(deliver.WithMXPort(uint16(c.MXPort))))
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, Usagef("-ca %s: no PEM certificate", c.CAFile)
		}
		opts = append(opts, transport.WithDeliverOptions(deliver.WithRootCAs(pool)))
	}
	if c.Users != "" {
		c.users = &usersFile{path: c.Users}
		if err := c.users.load(); err != nil {
			return nil, err
		}
		opts = append(opts, transport.WithServerOptions(smtpx.WithAuthenticator(c.users)))
	}
	if c.QueueDir != "" && raiseLoneP() {
		log.Info("cli: GOMAXPROCS raised from 1 to 2, so that the queue's fsyncs do not hold up sessions (set GOMAXPROCS to choose)")
	}
	return opts, nil
}

// DomainOptions returns the accepted domains as smtpx options and, for the
// authoritative ones, delivery to the -maildir mailboxes with the
// -mailboxes directory checked at RCPT.
func (c *Common) DomainOptions(log *slog.Logger, ds []routing.AcceptedDomain) ([]transport.Option, error) {
	var mine []string
	for _, d := range ds {
		if d.Type == routing.Authoritative {
			mine = append(mine, d.Domain)
		}
	}
	if c.Mailboxes != "" {
		if len(mine) == 0 {
			return nil, Usagef("-mailboxes needs authoritative accepted domains (-domains)")
		}
		c.mailboxes = &mailboxFile{path: c.Mailboxes, domains: mine}
		if err := c.mailboxes.load(); err != nil {
			return nil, err
		}
	}
	var opts []transport.Option
	if len(ds) > 0 {
		opts = append(opts, transport.WithAcceptedDomain(ds...))
	}
	switch {
	case len(mine) > 0 && c.Maildir == "":
		return nil, Usagef("authoritative accepted domains need -maildir for their mailboxes")
	case c.Maildir == "":
		return opts, nil
	}
	// With -maildir the mailboxes are there even before an authoritative
	// domain is, so that a reloaded configuration can add one.
	md, err := local.NewMaildir(c.Maildir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, transport.WithLocalDelivery(md))
	if c.mailboxes != nil {
		opts = append(opts, transport.WithDirectory(c.mailboxes))
	} else {
		log.Warn("no -mailboxes: every local part of the authoritative domains that a Maildir can hold is accepted (and gets one)")
	}
	return opts, nil
}

// serveHosts starts an authoritative DNS server on loopback answering the A
// records of -hosts, for trying several servers on one machine without
// editing DNS. It runs until Close.
func (c *Common) serveHosts(log *slog.Logger) (string, error) {
	var records []mxtest.Record
	for _, h := range SplitList(c.Hosts) {
		name, ip, ok := strings.Cut(h, "=")
		if _, err := netip.ParseAddr(ip); !ok || err != nil {
			return "", Usagef("-hosts entry %q: want name=ip", h)
		}
		records = append(records, mxtest.A(name, ip))
	}
	c.harness.Log = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	return mxtest.NewDNS(&c.harness, records...).Addr(), nil
}

// Close releases what Options started: the -hosts DNS server, the
// protocol logs and the lock on the queue directory.
func (c *Common) Close() {
	c.harness.Close()
	for _, l := range c.protoLogs {
		if err := l.Close(); err != nil && c.log != nil {
			c.log.Error("closing the protocol log", "err", err)
		}
	}
	if c.lock != nil {
		c.lock.Close()
	}
}

// Logging is the connectors' ProtocolLoggingLevel -protocol-log stands
// for: every connector logs verbosely when it is set, none otherwise.
func (c *Common) Logging() connector.ProtocolLoggingLevel {
	if c.ProtoLog == "" {
		return connector.ProtocolLoggingNone
	}
	return connector.ProtocolLoggingVerbose
}

// Password returns the send connectors' password: the first line of
// -password-file, or $HUBEDGE_SMARTHOST_PASSWORD.
func (c *Common) Password() (string, error) {
	if c.PassFile == "" {
		return os.Getenv("HUBEDGE_SMARTHOST_PASSWORD"), nil
	}
	b, err := os.ReadFile(c.PassFile)
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(pw, "\r"), nil
}

// SplitList splits a comma-separated flag value, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Main is an example's main: it calls run with the command-line arguments
// and a context that SIGINT or SIGTERM cancels, and exits 2 on a usage
// error, 1 on any other error. -h prints the usage and exits 0, as Go's
// own tools do. SIGHUP does not stop the server: Serve reloads what it can.
func Main(name string, run func(ctx context.Context, args []string, out io.Writer) error) {
	ctx, stop := SignalContext()
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", err)
	if errors.Is(err, ErrUsage) {
		os.Exit(2)
	}
	os.Exit(1)
}

// SignalContext returns a context that SIGINT or SIGTERM cancels and that
// carries the channel SIGHUP is delivered on (Hangups). SIGHUP is caught
// from here on, so that one that comes before the server runs does not kill
// the process either.
func SignalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return context.WithValue(ctx, hangupKey{}, hup), func() { signal.Stop(hup); stop() }
}

// hangupKey is the context key of the channel SignalContext delivers
// SIGHUP on.
type hangupKey struct{}

// Serve starts t (Start), serves until ctx is done, then shuts t down
// gracefully within -grace. On SIGHUP (delivered by Main) it rereads the
// -users and -mailboxes files and logs what it did.
func (c *Common) Serve(ctx context.Context, t *transport.Transport, out io.Writer, banner string, sends []*connector.SendConnector) error {
	if err := c.Start(ctx, t, out, banner, sends); err != nil {
		return err
	}
	for hup := Hangups(ctx); ; {
		select {
		case <-ctx.Done():
			return c.Stop(t)
		case <-hup:
			if !c.ReloadFiles() && c.log != nil {
				c.log.Info("SIGHUP: nothing to reload (no -users or -mailboxes file)")
			}
		}
	}
}

// Start starts t and prints banner and which connectors it runs and where.
// The banner comes only once the queue is open and the listeners are
// bound, so that a server that cannot start prints nothing but its error.
func (c *Common) Start(ctx context.Context, t *transport.Transport, out io.Writer, banner string, sends []*connector.SendConnector) error {
	if err := t.Start(ctx); err != nil {
		return explainStart(err)
	}
	fmt.Fprintln(out, banner)
	PrintConnectors(out, t, sends)
	return nil
}

// PrintConnectors prints one line per receive connector (where it listens,
// who it serves) and per send connector (where it sends).
func PrintConnectors(out io.Writer, t *transport.Transport, sends []*connector.SendConnector) {
	for _, rc := range t.ReceiveConnectors() {
		c := rc.Config()
		fmt.Fprintf(out, "receive connector %q listening on %s: remote %v, auth %s, groups %s\n",
			c.Name, t.Addr(c.Name), c.RemoteIPRanges, c.AuthMechanism, c.PermissionGroups)
	}
	for _, sc := range sends {
		c := sc.Config()
		route := "DNS (MX)"
		if !c.DNSRoutingEnabled {
			route = fmt.Sprintf("smart hosts %v", c.SmartHosts)
		}
		fmt.Fprintf(out, "send connector %q: %v via %s, auth %s\n", c.Name, c.AddressSpaces, route, c.SmartHostAuthMechanism)
	}
}

// Stop shuts t down gracefully within -grace.
func (c *Common) Stop(t *transport.Transport) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.Grace)
	defer cancel()
	return t.Shutdown(ctx)
}

// Hangups returns the channel Main delivers SIGHUP on (nil, which never
// delivers, when ctx does not come from Main).
func Hangups(ctx context.Context) <-chan os.Signal {
	hup, _ := ctx.Value(hangupKey{}).(chan os.Signal)
	return hup
}

// ReloadFiles is what SIGHUP does: reread -users and -mailboxes, each kept
// as it was if the new one does not load. It reports whether there was a
// file to reread.
func (c *Common) ReloadFiles() bool {
	log := c.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	type file struct {
		what, path string
		load       func() error
	}
	var files []file
	if c.users != nil {
		files = append(files, file{"users", c.users.path, c.users.load})
	}
	if c.mailboxes != nil {
		files = append(files, file{"mailboxes", c.mailboxes.path, c.mailboxes.load})
	}
	for _, f := range files {
		if err := f.load(); err != nil {
			log.Error("SIGHUP: keeping the "+f.what+" file loaded before", "file", f.path, "err", err)
		} else {
			log.Info("SIGHUP: reloaded the "+f.what+" file", "file", f.path)
		}
	}
	return len(files) > 0
}

// explainStart adds to a failed start what the administrator can do: ports
// below 1024 need privileges the program rarely runs with.
func explainStart(err error) error {
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w (ports below 1024 need root or the CAP_NET_BIND_SERVICE capability, "+
			"e.g. setcap cap_net_bind_service=+ep on the binary; or choose another port with -listen)", err)
	}
	return err
}
