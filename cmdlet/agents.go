package cmdlet

import (
	"slices"

	"github.com/hubedge/hubedge/agent/connectionfilter"
	"github.com/hubedge/hubedge/agent/contentfilter"
	"github.com/hubedge/hubedge/agent/recipientfilter"
	"github.com/hubedge/hubedge/agent/senderfilter"
	"github.com/hubedge/hubedge/agent/senderid"
)

// The agents' own configurations from a Config's settings, with lists
// copied so that an agent cannot change the immutable Config. Enabled and
// ExternalMailEnabled are not part of them: they say whether a server
// registers the agent at all. What only the server knows (the directory,
// accepted domains, DNS resolvers, clocks, a Scorer) is left for it to
// fill in.

// Agent returns the content filter agent's configuration.
func (c ContentFilterConfig) Agent() contentfilter.Config {
	return contentfilter.Config{
		SCLDeleteEnabled: c.SCLDeleteEnabled, SCLDeleteThreshold: c.SCLDeleteThreshold,
		SCLRejectEnabled: c.SCLRejectEnabled, SCLRejectThreshold: c.SCLRejectThreshold,
		SCLQuarantineEnabled: c.SCLQuarantineEnabled, SCLQuarantineThreshold: c.SCLQuarantineThreshold,
		QuarantineMailbox: c.QuarantineMailbox, RejectionResponse: c.RejectionResponse,
		BypassedRecipients: slices.Clone(c.BypassedRecipients), BypassedSenders: slices.Clone(c.BypassedSenders),
	}
}

// Agent returns the sender filter agent's configuration.
func (c SenderFilterConfig) Agent() senderfilter.Config {
	a := senderfilter.Config{
		BlockedSenders: slices.Clone(c.BlockedSenders), BlockedDomains: slices.Clone(c.BlockedDomains),
		BlockedDomainsAndSubdomains: slices.Clone(c.BlockedDomainsAndSubdomains),
		BlankSenderBlockingEnabled:  c.BlankSenderBlockingEnabled, InternalMailEnabled: c.InternalMailEnabled,
	}
	if c.Action == "StampStatus" {
		a.Action = senderfilter.StampStatus
	}
	return a
}

// Agent returns the recipient filter agent's configuration; the blocked
// recipients apply only with BlockListEnabled, as in the reference system.
func (c RecipientFilterConfig) Agent() recipientfilter.Config {
	a := recipientfilter.Config{RecipientValidationEnabled: c.RecipientValidationEnabled,
		InternalMailEnabled: c.InternalMailEnabled}
	if c.BlockListEnabled {
		a.BlockedRecipients = slices.Clone(c.BlockedRecipients)
	}
	return a
}

// Agent returns the Sender ID agent's configuration, stamping hostname
// as this server's name.
func (c SenderIDConfig) Agent(hostname string) senderid.Config {
	action := map[string]senderid.Action{"StampStatus": senderid.StampStatus, "Reject": senderid.Reject,
		"Delete": senderid.Delete}
	return senderid.Config{Hostname: hostname, SpoofedDomainAction: action[c.SpoofedDomainAction],
		TempErrorAction: action[c.TempErrorAction], BypassedSenderDomains: slices.Clone(c.BypassedSenderDomains),
		InternalMailEnabled: c.InternalMailEnabled}
}

// ConnectionFilter returns the connection filter agent's configuration
// from the IP Block and IP Allow lists: a disabled list and disabled
// providers are left out.
func (c *Config) ConnectionFilter() connectionfilter.Config {
	var a connectionfilter.Config
	if b := c.IPBlockList; b.Config.Enabled {
		a.BlockList, a.BlockListProviders = agentEntries(b.Entries), agentProviders(b.Providers)
		a.StaticEntryRejectionResponse = b.Config.StaticEntryRejectionResponse
		a.MachineEntryRejectionResponse = b.Config.MachineEntryRejectionResponse
	}
	if l := c.IPAllowList; l.Config.Enabled {
		a.AllowList, a.AllowListProviders = agentEntries(l.Entries), agentProviders(l.Providers)
	}
	return a
}

func agentEntries(es []IPListEntry) []connectionfilter.Entry {
	var out []connectionfilter.Entry
	for _, e := range es {
		out = append(out, connectionfilter.Entry{First: e.IPRange.From().WithZone(""), Last: e.IPRange.To().WithZone(""),
			Expires: e.ExpirationTime, Comment: e.Comment})
	}
	return out
}

func agentProviders(ps []IPListProvider) []connectionfilter.Provider {
	var out []connectionfilter.Provider
	for _, p := range ps { // already in priority order
		if p.Enabled {
			out = append(out, connectionfilter.Provider{Name: p.Name, LookupDomain: p.LookupDomain, AnyMatch: p.AnyMatch,
				IPAddressesMatch: slices.Clone(p.IPAddressesMatch), BitmaskMatch: p.BitmaskMatch, RejectionResponse: p.RejectionResponse})
		}
	}
	return out
}
