package connectionfilter

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/mx"
)

// Name and Priority are the agent's name and place among the built-in
// Edge agents.
const (
	Name     = "Connection Filtering Agent"
	Priority = 1
)

// Default rejection texts of the IP Block list (the %s is the address).
const (
	DefaultStaticEntryRejectionResponse  = "External client with IP address %s does not have permissions to submit to this server"
	DefaultMachineEntryRejectionResponse = "External client with IP address %s does not have permissions to submit to this server because it has been blocked by a sender reputation rule"
)

// Config is the agent's configuration: the IP Allow and Block lists and
// their providers (Set-IPBlockListConfig, Add-IPBlockListProvider, ...).
type Config struct {
	AllowList, BlockList []Entry
	// Providers are queried in order; the first listing wins.
	AllowListProviders, BlockListProviders []Provider
	// InternalSMTPServers are never judged (the organization's own hops).
	InternalSMTPServers []netip.Prefix
	// BypassedRecipients are accepted even from blocked addresses
	// (postmaster@contoso.com, so that a blocked sender can complain).
	BypassedRecipients []string
	// Static/MachineEntryRejectionResponse replace the default texts; a
	// %s in them is replaced by the client's address.
	StaticEntryRejectionResponse  string
	MachineEntryRejectionResponse string
	// DNSServers are the resolvers queried for providers, host:port;
	// empty reads /etc/resolv.conf.
	DNSServers []string
	Logger     *slog.Logger
	// Now is the clock used for entry expiry (time.Now by default).
	Now func() time.Time
}

// Filter is the Connection Filtering agent. Its lists may be changed while
// it runs.
type Filter struct {
	cfg     Config
	servers []string

	mu          sync.RWMutex
	allow, deny []Entry
}

var (
	_ agent.ConnectAgent = (*Filter)(nil)
	_ agent.RcptAgent    = (*Filter)(nil)
	_ agent.DataAgent    = (*Filter)(nil)
)

// New checks cfg and returns the agent.
func New(cfg Config) (*Filter, error) {
	for _, p := range slices.Concat(cfg.AllowListProviders, cfg.BlockListProviders) {
		if err := p.validate(); err != nil {
			return nil, err
		}
	}
	for _, t := range []string{cfg.StaticEntryRejectionResponse, cfg.MachineEntryRejectionResponse} {
		if len(t) > maxResponse || strings.ContainsAny(t, "\r\n") {
			return nil, fmt.Errorf("connectionfilter: rejection response %q: longer than %d characters or multi-line", t, maxResponse)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Filter{cfg: cfg, allow: slices.Clone(cfg.AllowList), deny: slices.Clone(cfg.BlockList)}
	if len(cfg.AllowListProviders)+len(cfg.BlockListProviders) > 0 {
		f.servers = cfg.DNSServers
		if len(f.servers) == 0 {
			r, err := mx.New()
			if err != nil {
				return nil, fmt.Errorf("connectionfilter: %w", err)
			}
			f.servers = r.Servers()
		}
	}
	return f, nil
}

// AddBlockListEntry adds to the IP Block list (Add-IPBlockListEntry).
func (f *Filter) AddBlockListEntry(e Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = append(f.deny, e)
}

// AddAllowListEntry adds to the IP Allow list (Add-IPAllowListEntry).
func (f *Filter) AddAllowListEntry(e Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allow = append(f.allow, e)
}

// verdictKey holds the connection's *agent.Reply once it is judged.
type verdictKey struct{}

// verdict is what OnConnect decided for the connection.
type verdict struct {
	reply  *agent.Reply
	static bool // IP Block list entry: disconnected at DATA
}

// OnConnect judges the remote address.
func (f *Filter) OnConnect(ctx context.Context, e *agent.CommandEvent) error {
	ip := e.Session.Remote.Addr().Unmap()
	if e.Bypassed() || !ip.IsValid() || f.internal(ip) {
		return nil
	}
	now := f.cfg.Now()
	f.mu.RLock()
	_, allowed := find(f.allow, ip, now)
	blocked, denied := find(f.deny, ip, now)
	f.mu.RUnlock()
	switch {
	case allowed:
		e.Bypass()
	case denied:
		e.SetValue(verdictKey{}, &verdict{reply: f.entryReply(blocked, ip), static: true})
	default:
		if p, ok := f.listedBy(ctx, f.cfg.AllowListProviders, ip); ok {
			f.cfg.Logger.Info("connectionfilter: allow-listed", "ip", ip, "provider", p.Name)
			e.Bypass()
		} else if p, ok := f.listedBy(ctx, f.cfg.BlockListProviders, ip); ok {
			text := cmp.Or(p.RejectionResponse, DefaultProviderResponse)
			e.SetValue(verdictKey{}, &verdict{reply: agent.Reject(550, "5.7.1", text)})
		}
	}
	return nil
}

func (f *Filter) internal(ip netip.Addr) bool {
	for _, p := range f.cfg.InternalSMTPServers {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (f *Filter) entryReply(e Entry, ip netip.Addr) *agent.Reply {
	text := cmp.Or(f.cfg.StaticEntryRejectionResponse, DefaultStaticEntryRejectionResponse)
	if e.Machine {
		text = cmp.Or(f.cfg.MachineEntryRejectionResponse, DefaultMachineEntryRejectionResponse)
	}
	if strings.Contains(text, "%s") {
		text = strings.ReplaceAll(text, "%s", ip.String())
	}
	return agent.Reject(550, "5.7.1", text)
}

// listedBy returns the first provider that lists ip. A provider that
// cannot be reached is logged and skipped.
func (f *Filter) listedBy(ctx context.Context, ps []Provider, ip netip.Addr) (Provider, bool) {
	for _, p := range ps {
		name := QueryName(ip, p.LookupDomain)
		answer, err := lookup(ctx, f.servers, name)
		if err != nil {
			f.cfg.Logger.Warn("connectionfilter: provider not consulted", "provider", p.Name, "error", err)
			continue
		}
		if code, ok := p.Match(name, answer); ok {
			f.cfg.Logger.Info("connectionfilter: listed", "ip", ip, "provider", p.Name, "code", code)
			return p, true
		}
	}
	return Provider{}, false
}

// OnRcptCommand refuses the recipient if the connection was judged, unless
// it is a bypassed recipient.
func (f *Filter) OnRcptCommand(_ context.Context, e *agent.CommandEvent) error {
	v, _ := e.Value(verdictKey{}).(*verdict)
	if v == nil || f.bypassedRecipient(e.Arg) {
		return nil
	}
	return v.reply
}

func (f *Filter) bypassedRecipient(addr string) bool {
	for _, r := range f.cfg.BypassedRecipients {
		if strings.EqualFold(r, addr) {
			return true
		}
	}
	return false
}

// OnDataCommand disconnects a block-listed client that has no bypassed
// recipient, once all its RCPTs were answered.
func (f *Filter) OnDataCommand(_ context.Context, e *agent.CommandEvent) error {
	v, _ := e.Value(verdictKey{}).(*verdict)
	if v == nil || !v.static || len(e.Session.Recipients) > 0 {
		return nil
	}
	r := *v.reply
	r.Code, r.Enhanced, r.Disconnect = 554, "5.7.1", true
	return &r
}
