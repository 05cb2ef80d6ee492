package main

import (
	"log/slog"

	"github.com/hubedge/hubedge/agent"
	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/recipientfilter"
	"github.com/hubedge/hubedge/agent/senderfilter"
	"github.com/hubedge/hubedge/agent/senderid"
	"github.com/hubedge/hubedge/cmdlet"
	"github.com/hubedge/hubedge/routing"
)

// antiSpamAgents is the chain of the Edge's anti-spam agents, configured
// by the scripts' Set-ContentFilterConfig, Add-IPBlockListEntry,
// Set-SenderFilterConfig ... lines. As in the reference system they run on
// an Edge; a Hub has none (nil). An agent whose Enabled is $false is left
// out; an agent's ExternalMailEnabled $false leaves out the anonymous
// sessions it would judge, which the agents themselves do.
func antiSpamAgents(log *slog.Logger, cfg *cmdlet.Config, edge bool, fqdn string, dnsServers []string,
	dir recipientfilter.Directory, domains []routing.AcceptedDomain) (*agent.Chain, error) {
	if !edge {
		return nil, nil
	}
	chain := agent.New(agent.WithLogger(log))
	if cfg.IPBlockList.Config.Enabled || cfg.IPAllowList.Config.Enabled {
		cf := cfg.ConnectionFilter()
		cf.DNSServers, cf.Logger = dnsServers, log
		f, err := connectionfilter.New(cf)
		if err != nil {
			return nil, err
		}
		if err := chain.Register(connectionfilter.Name, f, agent.Priority(connectionfilter.Priority)); err != nil {
			return nil, err
		}
	}
	if c := cfg.ContentFilter; c.Enabled {
		f, err := contentfilter.New(c.Agent())
		if err != nil {
			return nil, err
		}
		if err := chain.Register(contentfilter.Name, f, agent.Priority(contentfilter.Priority)); err != nil {
			return nil, err
		}
	}
	if c := cfg.SenderID; c.Enabled {
		sc := c.Agent(fqdn)
		if r := dnsResolver(dnsServers); r != nil {
			sc.Resolver = r
		}
		if err := chain.Register(senderid.Name, senderid.New(sc), agent.Priority(senderid.Priority)); err != nil {
			return nil, err
		}
	}
	if c := cfg.SenderFilter; c.Enabled {
		if err := chain.Register(senderfilter.Name, senderfilter.New(c.Agent()), agent.Priority(senderfilter.Priority)); err != nil {
			return nil, err
		}
	}
	if c := cfg.RecipientFilter; c.Enabled {
		rc := c.Agent()
		ad, err := routing.NewAcceptedDomains(domains)
		if err != nil {
			return nil, err
		}
		rc.Directory, rc.AcceptedDomains = dir, ad
		if dir == nil {
			rc.RecipientValidationEnabled = false // nothing to validate against
		}
		f, err := recipientfilter.New(rc)
		if err != nil {
			return nil, err
		}
		if err := chain.Register(recipientfilter.Name, f, agent.Priority(recipientfilter.Priority)); err != nil {
			return nil, err
		}
	}
	return chain, nil
}

// antiSpamSettings are the parts of cfg antiSpamAgents reads, for telling
// whether a reload changed them.
func antiSpamSettings(cfg *cmdlet.Config) []any {
	return []any{cfg.IPBlockList, cfg.IPAllowList, cfg.ContentFilter, cfg.SenderID, cfg.SenderFilter, cfg.RecipientFilter}
}
