package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/hubedge/hubedge/addrspace"
	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/auth"
	"github.com/hubedge/hubedge/connector"
	"github.com/hubedge/hubedge/mx"
	"github.com/hubedge/hubedge/mx/mxtest"
	"github.com/hubedge/hubedge/perms"
	"github.com/hubedge/hubedge/queue"
	"github.com/hubedge/hubedge/routing"
	"github.com/hubedge/hubedge/smtpx"
	"github.com/hubedge/hubedge/smtpx/deliver"
	"github.com/hubedge/hubedge/smtpx/local"
	"github.com/hubedge/hubedge/smtpx/smtptest"
	"github.com/hubedge/hubedge/transport"
)

// Names of the cast. The edge lives in the perimeter network
// (contoso.net), the hub inside the organization (contoso.com).
const (
	edgeName = "edge01.contoso.net"
	hubName  = "hub01.contoso.com"
	mxName   = "mx1.fabrikam.com"
	site     = "Default-First-Site-Name"

	// The accounts of seed 001: the edge logs on to the hub as a member of
	// Exchange Servers ($hubcred), the hub logs on to the edge with an
	// account of the edge's own ($edgecred).
	edgeAccount = `CONTOSO\edgeuser`
	hubAccount  = `EDGE01\hubuser`
	alice       = "alice@contoso.com"
	password    = "Pa$$w0rd-demo"
)

// world is everything the story runs against.
type world struct {
	out     io.Writer
	tb      *smtptest.Standalone
	pki     *smtptest.PKI
	dns     *mxtest.DNS
	sink    *smtptest.Sink // fabrikam.com's MX, "the Internet"
	edge    *transport.Transport
	hub     *transport.Transport
	mailbox *local.Maildir
	trace   *recorder

	// Routing tables built from the same send connectors the transports
	// use, kept to explain their choices (routing.Table.Explain).
	edgeRoutes, hubRoutes *routing.Table
	listeners             *preopened
	seen                  map[string]int // deliveries already awaited, per transport and recipient
}

// newWorld starts DNS, the Internet sink, the hub and the edge.
func newWorld(ctx context.Context, dir string, out io.Writer, verbose bool) (w *world, err error) {
	w = &world{out: out, tb: &smtptest.Standalone{}, trace: newRecorder(out, verbose), listeners: &preopened{}, seen: map[string]int{}}
	// The smtptest harness reports set-up failures through Fatalf, which
	// panics under a Standalone; turn that back into an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("demo: set-up: %v", r)
		}
		if err != nil {
			err = errors.Join(err, w.close())
		}
	}()
	w.pki = smtptest.NewPKI(w.tb)

	// The Internet MTA of fabrikam.com, with a certificate from the same
	// test CA so the edge's opportunistic TLS validates too.
	w.sink = smtptest.NewSink(w.tb, smtptest.Hostname(mxName), smtptest.WithPKI(w.pki, mxName))

	// Receive connectors bind real addresses. To use ephemeral ports and
	// still write them into the connectors (and into the send connectors
	// that point at them), the demo opens the sockets first and hands them
	// to the transports through smtpx.WithListen, as socket activation would.
	edgeInternet, err := w.listeners.open()
	if err != nil {
		return w, err
	}
	edgeInternal, err := w.listeners.open()
	if err != nil {
		return w, err
	}
	hubDefault, err := w.listeners.open()
	if err != nil {
		return w, err
	}
	hubClient, err := w.listeners.open()
	if err != nil {
		return w, err
	}

	// The fake DNS: fabrikam.com's MX for the edge's To Internet connector,
	// and the A records the smart-host connectors resolve. Everything is
	// on loopback.
	w.dns = mxtest.NewDNS(w.tb,
		mxtest.MX("fabrikam.com", 10, mxName), mxtest.A(mxName, "127.0.0.1"),
		mxtest.A(hubName, "127.0.0.1"), mxtest.A(edgeName, "127.0.0.1"))
	resolver, err := mx.New(mx.WithServers(w.dns.Addr()))
	if err != nil {
		return w, err
	}
	_, sinkPort, err := splitPort(w.sink.Addr())
	if err != nil {
		return w, err
	}

	w.mailbox, err = local.NewMaildir(filepath.Join(dir, "mailboxes"))
	if err != nil {
		return w, err
	}
	if w.hub, w.hubRoutes, err = newHub(dir, w, resolver, hubDefault, hubClient, edgeInternal); err != nil {
		return w, err
	}
	if w.edge, w.edgeRoutes, err = newEdge(dir, w, resolver, edgeInternet, edgeInternal, hubDefault, sinkPort); err != nil {
		return w, err
	}
	if err := w.hub.Start(ctx); err != nil {
		return w, err
	}
	if err := w.edge.Start(ctx); err != nil {
		return w, err
	}
	return w, nil
}

// newEdge builds the Edge transport server of seed 001.
func newEdge(dir string, w *world, resolver *mx.Resolver, internet, internal, hub net.Addr, sinkPort uint16) (*transport.Transport, *routing.Table, error) {
	// Set-ReceiveConnector "Default internal Receive connector Edge01"
	//   -Name "From Internet" -Bindings <ExternalNetworkAdapterIP:25>
	fromInternetCfg := connector.NewEdgeReceiveConfig("From Internet", connector.UsageInternet)
	fromInternetCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(internet.String())}
	fromInternetCfg.AuthMechanism = auth.TLS | auth.ExchangeServer
	fromInternetCfg.PermissionGroups = perms.AnonymousUsers | perms.ExchangeServers | perms.Partners
	fromInternet, err := fromInternetCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	// New-ReceiveConnector -Name "To Internal Org" -Usage Internal
	//   -AuthMechanism TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer
	//   -Bindings <InternalNetworkAdapterIP:25> -RemoteIPRanges <hub addresses>
	// The "internal adapter" is a second loopback port; the hub's address
	// is 127.0.0.1.
	mech, err := auth.ParseMechanisms("TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer")
	if err != nil {
		return nil, nil, err
	}
	toInternalOrgRecvCfg := connector.NewEdgeReceiveConfig("To Internal Org", connector.UsageInternal)
	toInternalOrgRecvCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(internal.String())}
	toInternalOrgRecvCfg.RemoteIPRanges = []connector.IPRange{connector.MustParseIPRange("127.0.0.1")}
	toInternalOrgRecvCfg.AuthMechanism = mech
	toInternalOrgRecv, err := toInternalOrgRecvCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	// New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true
	toInternetCfg := connector.NewSendConfig("To Internet", connector.UsageInternet)
	toInternetCfg.Edge = true
	toInternetCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	toInternetCfg.DNSRoutingEnabled = true
	toInternet, err := toInternetCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	// New-SendConnector -Name "To Internal Org" -Usage Internal -AddressSpaces *.contoso.com
	//   -DNSRoutingEnabled $False -SmartHosts Hub01.contoso.com
	//   -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $hubcred
	// Basic auth proves nothing about the remote host, so the send-side
	// header firewall would treat the hub as anonymous; the hub is ours,
	// and saying so keeps the organization headers on the way in.
	_, hubPort, err := splitPort(hub.String())
	if err != nil {
		return nil, nil, err
	}
	toInternalOrgCfg := connector.NewSendConfig("To Internal Org", connector.UsageInternal)
	toInternalOrgCfg.Edge = true
	toInternalOrgCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*.contoso.com")}
	toInternalOrgCfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(hubName)}
	toInternalOrgCfg.DNSRoutingEnabled = false
	toInternalOrgCfg.Port = hubPort
	toInternalOrgCfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	toInternalOrgCfg.AuthenticationCredential = connector.Credential{UserName: edgeAccount, Password: password}
	toInternalOrgCfg.RemotePrincipal = perms.HubTransportServers
	toInternalOrg, err := toInternalOrgCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	send := []*connector.SendConnector{toInternet, toInternalOrg}
	table, err := transport.NewRoutingTable(edgeName, site, send)
	if err != nil {
		return nil, nil, err
	}
	agents, err := edgeAgents()
	if err != nil {
		return nil, nil, err
	}
	t, err := transport.New(
		transport.WithServerName(edgeName), transport.WithSite(site),
		transport.WithReceiveConnector(fromInternet, toInternalOrgRecv), transport.WithSendConnector(send...),
		// The edge accepts contoso.com but holds no mailboxes: InternalRelay
		// sends it on through the best send connector (To Internal Org).
		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com", Type: routing.InternalRelay}),
		transport.WithQueueDir(filepath.Join(dir, "edge-queue")),
		// Edge retry intervals (10 min) are kept: step 4 shows the admin
		// retry (Retry-Queue), not a timer.
		transport.WithQueueOptions(queue.WithRetryPolicy(queue.EdgeRetryPolicy())),
		transport.WithServerOptions(smtpx.WithAuthenticator(auth.NewStatic(map[string]string{hubAccount: password},
			auth.WithGroups(hubAccount, perms.ExchangeServersGroup)))),
		transport.WithServerOptions(smtpx.WithTLSCertificate(w.pki.Certificate(edgeName))), transport.WithDeliverOptions(deliver.WithRootCAs(w.pki.Pool())),
		transport.WithDeliverOptions(deliver.WithResolver(resolver)),
		// MX hosts answer on port 25 on the Internet; the sink is on an
		// ephemeral loopback port.
		transport.WithDeliverOptions(deliver.WithMXPort(sinkPort)),
		transport.WithServerOptions(smtpx.WithListen(w.listeners.listen)),
		transport.WithTrace(w.trace.hook("edge")),
		transport.WithAgents(agents),
	)
	return t, table, err
}

// edgeAgents is the edge's anti-spam: the Content Filter on From Internet,
// rejecting at SCL 7 and above (the reference default), with a Scorer
// standing in for a real content filter: the GTUBE test string rates 9,
// anything else 0.
func edgeAgents() (*agent.Chain, error) {
	cfg := contentfilter.DefaultConfig()
	cfg.Scorer = gtubeScorer{}
	f, err := contentfilter.New(cfg)
	if err != nil {
		return nil, err
	}
	chain := agent.New()
	err = chain.Register(contentfilter.Name, f, agent.Priority(contentfilter.Priority), agent.Connectors("From Internet"))
	return chain, err
}

// gtube is the Generic Test for Unsolicited Bulk Email: every spam filter
// rates a message that carries it as spam.
const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

type gtubeScorer struct{}

func (gtubeScorer) Score(_ context.Context, e *agent.MessageEvent) (int, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return 0, err
	}
	if bytes.Contains(body, []byte(gtube)) {
		return 9, nil
	}
	return 0, nil
}

// newHub builds the Hub transport server: its two default receive
// connectors, the To Edge send connector, and contoso.com's mailboxes.
func newHub(dir string, w *world, resolver *mx.Resolver, dflt, client, edge net.Addr) (*transport.Transport, *routing.Table, error) {
	// "Default HUB01": accepts from the edge (and other servers).
	mech, err := auth.ParseMechanisms("TLS,BasicAuth,BasicAuthRequireTLS,ExchangeServer")
	if err != nil {
		return nil, nil, err
	}
	defaultRecvCfg := connector.NewReceiveConfig("Default HUB01", connector.UsageCustom)
	defaultRecvCfg.RemoteIPRanges = []connector.IPRange{connector.AllIPv4}
	defaultRecvCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(dflt.String())}
	defaultRecvCfg.AuthMechanism = mech
	defaultRecvCfg.PermissionGroups = perms.ExchangeUsers | perms.ExchangeServers
	defaultRecv, err := defaultRecvCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	// "Client HUB01": mailbox users submit here after STARTTLS + AUTH.
	clientRecvCfg := connector.NewReceiveConfig("Client HUB01", connector.UsageClient)
	clientRecvCfg.Bindings = []netip.AddrPort{netip.MustParseAddrPort(client.String())}
	clientRecvCfg.RemoteIPRanges = []connector.IPRange{connector.AllIPv4}
	clientRecv, err := clientRecvCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	// New-SendConnector -Name "To Edge" -Usage Internal -AddressSpaces * -DNSRoutingEnabled $False
	//   -SmartHosts edge01.contoso.net -SourceTransportServers hub01.contoso.com
	//   -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $edgecred
	// As on the edge, the remote is declared to be our edge server so the
	// organization headers survive the hop.
	_, edgePort, err := splitPort(edge.String())
	if err != nil {
		return nil, nil, err
	}
	toEdgeCfg := connector.NewSendConfig("To Edge", connector.UsageInternal)
	toEdgeCfg.AddressSpaces = []addrspace.AddressSpace{addrspace.MustParse("*")}
	toEdgeCfg.SmartHosts = []connector.SmartHost{connector.MustParseSmartHost(edgeName)}
	toEdgeCfg.SourceTransportServers = []string{hubName}
	toEdgeCfg.DNSRoutingEnabled = false
	toEdgeCfg.Port = edgePort
	toEdgeCfg.SmartHostAuthMechanism = auth.SmartHostBasicAuthRequireTLS
	toEdgeCfg.AuthenticationCredential = connector.Credential{UserName: hubAccount, Password: password}
	toEdgeCfg.RemotePrincipal = perms.EdgeTransportServers
	toEdge, err := toEdgeCfg.Build()
	if err != nil {
		return nil, nil, err
	}
	table, err := transport.NewRoutingTable(hubName, site, []*connector.SendConnector{toEdge})
	if err != nil {
		return nil, nil, err
	}
	t, err := transport.New(
		transport.WithServerName(hubName), transport.WithSite(site),
		transport.WithReceiveConnector(defaultRecv, clientRecv), transport.WithSendConnector(toEdge),
		transport.WithAcceptedDomain(routing.AcceptedDomain{Domain: "contoso.com", Type: routing.Authoritative}),
		transport.WithLocalDelivery(w.mailbox),
		transport.WithQueueDir(filepath.Join(dir, "hub-queue")),
		transport.WithServerOptions(smtpx.WithAuthenticator(auth.NewStatic(map[string]string{edgeAccount: password, alice: password},
			auth.WithGroups(edgeAccount, perms.ExchangeServersGroup)))),
		transport.WithServerOptions(smtpx.WithTLSCertificate(w.pki.Certificate(hubName))), transport.WithDeliverOptions(deliver.WithRootCAs(w.pki.Pool())),
		transport.WithDeliverOptions(deliver.WithResolver(resolver)),
		transport.WithServerOptions(smtpx.WithListen(w.listeners.listen)),
		transport.WithTrace(w.trace.hook("hub")),
	)
	return t, table, err
}

// close shuts the transports down gracefully, then the harness.
func (w *world) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, t := range []*transport.Transport{w.edge, w.hub} {
		if t != nil {
			if err := t.Shutdown(ctx); err != nil && !errors.Is(err, smtpx.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
	}
	w.listeners.closeUnused()
	w.tb.Close()
	return errors.Join(errs...)
}

// describe prints the cast.
func (w *world) describe() {
	fmt.Fprintf(w.out, "fake DNS on %s; fabrikam.com MX %s on %s\n", w.dns.Addr(), mxName, w.sink.Addr())
	for _, t := range []struct {
		name string
		t    *transport.Transport
	}{{edgeName, w.edge}, {hubName, w.hub}} {
		fmt.Fprintf(w.out, "%s:", t.name)
		for _, rc := range t.t.ReceiveConnectors() {
			fmt.Fprintf(w.out, " %q on %s;", rc.Name(), t.t.Addr(rc.Name()))
		}
		fmt.Fprintln(w.out)
	}
}

// preopened holds listening sockets opened before the transports are
// built, so their ports can be written into connectors; smtpx.WithListen
// hands each to the transport whose binding names it.
type preopened struct {
	mu  sync.Mutex
	lns map[string]net.Listener
}

func (p *preopened) open() (net.Addr, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lns == nil {
		p.lns = map[string]net.Listener{}
	}
	p.lns[ln.Addr().String()] = ln
	return ln.Addr(), nil
}

// listen is the smtpx.WithListen hook: it gives out each socket once.
func (p *preopened) listen(network, addr string) (net.Listener, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ln, ok := p.lns[addr]
	if !ok {
		return nil, fmt.Errorf("demo: no pre-opened socket for %s %s", network, addr)
	}
	delete(p.lns, addr)
	return ln, nil
}

// closeUnused closes sockets no transport took (a failed start).
func (p *preopened) closeUnused() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, ln := range p.lns {
		ln.Close()
		delete(p.lns, addr)
	}
}
