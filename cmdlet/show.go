package cmdlet

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/hubedge/hubedge/connector"
)

// The documents below are what MarshalJSON writes and WriteText prints:
// the reference system's property names and value spellings. A nil pointer
// is $null (an unset string, an unlimited size).

type document struct {
	SendConnectors    []sendDoc
	ReceiveConnectors []receiveDoc
	AcceptedDomains   []domainDoc
	TransportServer   transportServerDoc
	TransportConfig   transportConfigDoc

	ContentFilterConfig   ContentFilterConfig
	SenderFilterConfig    SenderFilterConfig
	RecipientFilterConfig RecipientFilterConfig
	SenderIdConfig        SenderIDConfig
	IPBlockListConfig     IPListConfig
	IPBlockListEntries    []entryDoc
	IPBlockListProviders  []providerDoc
	IPAllowListConfig     IPListConfig
	IPAllowListEntries    []entryDoc
	IPAllowListProviders  []providerDoc
}

type entryDoc struct {
	Identity       int
	IPRange        string
	ExpirationTime *string
	Comment        *string
}

type providerDoc struct {
	Name              string
	LookupDomain      string
	AnyMatch          bool
	BitmaskMatch      *string
	IPAddressesMatch  []string
	Priority          int
	RejectionResponse *string
	Enabled           bool
}

type permissionDoc struct {
	User           string
	ExtendedRights []string
	Deny           bool
	Remove         bool `json:",omitempty"`
}

type sendDoc struct {
	Name                         string
	Usage                        string
	AddressSpaces                []string
	SmartHosts                   []string
	DNSRoutingEnabled            bool
	SmartHostAuthMechanism       string
	AuthenticationCredential     *string
	RequireTLS                   bool
	IgnoreSTARTTLS               bool
	TlsAuthLevel                 *string
	TlsDomain                    *string
	DomainSecureEnabled          bool
	UseExternalDNSServersEnabled bool
	Fqdn                         *string
	Port                         int
	Enabled                      bool
	IsScopedConnector            bool
	SourceTransportServers       []string
	MaxMessageSize               *int64
	ConnectionInactivityTimeOut  string
	SmtpMaxMessagesPerConnection int
	ProtocolLoggingLevel         string
	LinkedReceiveConnector       *string
	Comment                      *string
	DaneEnabled                  bool
	MtaStsEnabled                bool
	Permissions                  []permissionDoc
}

type receiveDoc struct {
	Name                          string
	Server                        *string
	Usage                         string
	Bindings                      []string
	RemoteIPRanges                []string
	AuthMechanism                 string
	PermissionGroups              string
	Banner                        *string
	Fqdn                          *string
	Enabled                       bool
	RequireTLS                    bool
	RequireEHLODomain             bool
	DomainSecureEnabled           bool
	MaxMessageSize                *int64
	MaxHeaderSize                 *int64
	MaxRecipientsPerMessage       int
	MaxInboundConnection          *int64
	MaxInboundConnectionPerSource *int64
	MaxHopCount                   int
	MaxLocalHopCount              int
	MaxProtocolErrors             *int64
	MaxLogonFailures              int
	TarpitInterval                string
	ConnectionTimeout             string
	ConnectionInactivityTimeout   string
	ProtocolLoggingLevel          string
	Comment                       *string
	Permissions                   []permissionDoc
}

type domainDoc struct {
	Name       string
	DomainName string
	DomainType string
}

type transportServerDoc struct {
	Identity                                *string
	TransientFailureRetryCount              int
	TransientFailureRetryInterval           string
	OutboundConnectionFailureRetryInterval  string
	MessageRetryInterval                    string
	MessageExpirationTimeout                string
	DelayNotificationTimeout                string
	QueueMaxIdleTime                        string
	MaxOutboundConnections                  *int64
	MaxPerDomainOutboundConnections         *int64
	PoisonThreshold                         int
	ReceiveProtocolLogPath                  *string
	SendProtocolLogPath                     *string
	MessageTrackingLogPath                  *string
	MessageTrackingLogSubjectLoggingEnabled bool
	PickupDirectoryPath                     *string
}

type transportConfigDoc struct {
	MaxReceiveSize            *int64
	MaxSendSize               *int64
	MaxRecipientEnvelopeLimit *int64
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// limited is n, or nil when n is the connector's Unlimited (0).
func limited(n int64) *int64 {
	if n == connector.Unlimited {
		return nil
	}
	return &n
}

func limitDoc(l Limit) *int64 {
	if l == Unlimited {
		return nil
	}
	n := int64(l)
	return &n
}

func strs[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

func permissionDocs(ps []connector.Permission) []permissionDoc {
	out := make([]permissionDoc, len(ps))
	for i, p := range ps {
		out[i] = permissionDoc{User: string(p.User), ExtendedRights: strings.Split(p.ExtendedRights.String(), ", "),
			Deny: p.Deny, Remove: p.Remove}
	}
	return out
}

func sendDocOf(s *SendConnector) sendDoc {
	c := s.Connector.Config()
	d := sendDoc{
		Name: c.Name, Usage: c.Usage.String(), AddressSpaces: strs(c.AddressSpaces), SmartHosts: strs(c.SmartHosts),
		DNSRoutingEnabled: c.DNSRoutingEnabled, SmartHostAuthMechanism: c.SmartHostAuthMechanism.String(),
		RequireTLS: c.RequireTLS, IgnoreSTARTTLS: c.IgnoreSTARTTLS, TlsAuthLevel: optString(c.TlsAuthLevel.String()),
		TlsDomain: optString(c.TlsDomain), DomainSecureEnabled: c.DomainSecureEnabled,
		UseExternalDNSServersEnabled: c.UseExternalDNSServersEnabled, Fqdn: optString(c.Fqdn), Port: int(c.Port),
		Enabled: c.Enabled, IsScopedConnector: c.IsScopedConnector,
		SourceTransportServers: append([]string{}, c.SourceTransportServers...), MaxMessageSize: limited(c.MaxMessageSize),
		ConnectionInactivityTimeOut:  FormatSpan(c.ConnectionInactivityTimeOut),
		SmtpMaxMessagesPerConnection: c.SmtpMaxMessagesPerConnection, ProtocolLoggingLevel: c.ProtocolLoggingLevel.String(),
		LinkedReceiveConnector: optString(c.LinkedReceiveConnector), Comment: optString(c.Comment),
		DaneEnabled: c.DaneEnabled, MtaStsEnabled: c.MtaStsEnabled, Permissions: permissionDocs(c.Permissions),
	}
	if !c.AuthenticationCredential.IsZero() {
		d.AuthenticationCredential = &c.AuthenticationCredential.UserName
	}
	return d
}

func receiveDocOf(r *ReceiveConnector) receiveDoc {
	c := r.Connector.Config()
	return receiveDoc{
		Name: c.Name, Server: optString(c.Server), Usage: c.Usage.String(), Bindings: strs(c.Bindings),
		RemoteIPRanges: strs(c.RemoteIPRanges), AuthMechanism: c.AuthMechanism.String(),
		PermissionGroups: c.PermissionGroups.String(), Banner: optString(c.Banner), Fqdn: optString(c.Fqdn),
		Enabled: c.Enabled, RequireTLS: c.RequireTLS, RequireEHLODomain: c.RequireEHLODomain,
		DomainSecureEnabled: c.DomainSecureEnabled, MaxMessageSize: &c.MaxMessageSize, MaxHeaderSize: &c.MaxHeaderSize,
		MaxRecipientsPerMessage: c.MaxRecipientsPerMessage, MaxInboundConnection: limited(int64(c.MaxInboundConnection)),
		MaxInboundConnectionPerSource: limited(int64(c.MaxInboundConnectionPerSource)), MaxHopCount: c.MaxHopCount,
		MaxLocalHopCount: c.MaxLocalHopCount, MaxProtocolErrors: limited(int64(c.MaxProtocolErrors)),
		MaxLogonFailures: c.MaxLogonFailures, TarpitInterval: FormatSpan(c.TarpitInterval),
		ConnectionTimeout: FormatSpan(c.ConnectionTimeout), ConnectionInactivityTimeout: FormatSpan(c.ConnectionInactivityTimeout),
		ProtocolLoggingLevel: c.ProtocolLoggingLevel.String(), Comment: optString(c.Comment),
		Permissions: permissionDocs(c.Permissions),
	}
}

func (c *Config) document() document {
	d := document{SendConnectors: []sendDoc{}, ReceiveConnectors: []receiveDoc{}, AcceptedDomains: []domainDoc{}}
	for _, s := range c.SendConnectors {
		d.SendConnectors = append(d.SendConnectors, sendDocOf(s))
	}
	for _, r := range c.ReceiveConnectors {
		d.ReceiveConnectors = append(d.ReceiveConnectors, receiveDocOf(r))
	}
	for _, a := range c.AcceptedDomains {
		d.AcceptedDomains = append(d.AcceptedDomains, domainDoc{a.Name, a.Domain, a.Type.String()})
	}
	t := c.TransportServer
	d.TransportServer = transportServerDoc{
		Identity: optString(t.Identity), TransientFailureRetryCount: t.TransientFailureRetryCount,
		TransientFailureRetryInterval:           FormatSpan(t.TransientFailureRetryInterval),
		OutboundConnectionFailureRetryInterval:  FormatSpan(t.OutboundConnectionFailureRetryInterval),
		MessageRetryInterval:                    FormatSpan(t.MessageRetryInterval),
		MessageExpirationTimeout:                FormatSpan(t.MessageExpirationTimeout),
		DelayNotificationTimeout:                FormatSpan(t.DelayNotificationTimeout),
		QueueMaxIdleTime:                        FormatSpan(t.QueueMaxIdleTime),
		MaxOutboundConnections:                  limitDoc(t.MaxOutboundConnections),
		MaxPerDomainOutboundConnections:         limitDoc(t.MaxPerDomainOutboundConnections),
		PoisonThreshold:                         t.PoisonThreshold,
		ReceiveProtocolLogPath:                  optString(t.ReceiveProtocolLogPath),
		SendProtocolLogPath:                     optString(t.SendProtocolLogPath),
		MessageTrackingLogPath:                  optString(t.MessageTrackingLogPath),
		MessageTrackingLogSubjectLoggingEnabled: t.MessageTrackingLogSubjectLoggingEnabled,
		PickupDirectoryPath:                     optString(t.PickupDirectoryPath),
	}
	tc := c.TransportConfig
	d.TransportConfig = transportConfigDoc{limitDoc(tc.MaxReceiveSize), limitDoc(tc.MaxSendSize), limitDoc(tc.MaxRecipientEnvelopeLimit)}
	d.ContentFilterConfig = c.ContentFilter
	cf := &d.ContentFilterConfig
	cf.BypassedRecipients, cf.BypassedSenders = nonNil(cf.BypassedRecipients), nonNil(cf.BypassedSenders)
	cf.BypassedSenderDomains = nonNil(cf.BypassedSenderDomains)
	d.SenderFilterConfig = c.SenderFilter
	sf := &d.SenderFilterConfig
	sf.BlockedSenders, sf.BlockedDomains = nonNil(sf.BlockedSenders), nonNil(sf.BlockedDomains)
	sf.BlockedDomainsAndSubdomains = nonNil(sf.BlockedDomainsAndSubdomains)
	d.RecipientFilterConfig = c.RecipientFilter
	d.RecipientFilterConfig.BlockedRecipients = nonNil(c.RecipientFilter.BlockedRecipients)
	d.SenderIdConfig = c.SenderID
	d.SenderIdConfig.BypassedRecipients = nonNil(c.SenderID.BypassedRecipients)
	d.SenderIdConfig.BypassedSenderDomains = nonNil(c.SenderID.BypassedSenderDomains)
	d.IPBlockListConfig, d.IPBlockListEntries, d.IPBlockListProviders = ipListDocs(c.IPBlockList)
	d.IPAllowListConfig, d.IPAllowListEntries, d.IPAllowListProviders = ipListDocs(c.IPAllowList)
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func ipListDocs(l IPList) (IPListConfig, []entryDoc, []providerDoc) {
	es := make([]entryDoc, len(l.Entries))
	for i, e := range l.Entries {
		es[i] = entryDoc{Identity: e.Identity, IPRange: e.IPRange.String(), Comment: optString(e.Comment)}
		if !e.ExpirationTime.IsZero() {
			es[i].ExpirationTime = optString(e.ExpirationTime.UTC().Format(time.RFC3339))
		}
	}
	ps := make([]providerDoc, len(l.Providers))
	for i, p := range l.Providers {
		ps[i] = providerDoc{Name: p.Name, LookupDomain: p.LookupDomain, AnyMatch: p.AnyMatch,
			IPAddressesMatch: strs(p.IPAddressesMatch), Priority: p.Priority,
			RejectionResponse: optString(p.RejectionResponse), Enabled: p.Enabled}
		if p.BitmaskMatch.IsValid() {
			ps[i].BitmaskMatch = optString(p.BitmaskMatch.String())
		}
	}
	return l.Config, es, ps
}

// MarshalJSON writes the configuration as one object, {"SendConnectors":
// [...], "ReceiveConnectors": [...], "AcceptedDomains": [...],
// "TransportServer": {...}, "TransportConfig": {...}}, with the reference
// system's property names and spellings: address spaces as
// "SMTP:fourthcoffee.com;1", flag sets as "Tls, BasicAuth", sizes in bytes
// (null for unlimited), time spans as "hh:mm:ss" or "d.hh:mm:ss", and a
// credential as its user name only. Each connector's Permissions are its
// explicit Add-/Remove-ADPermission entries and cross-forest grants. The
// anti-spam agents follow: ContentFilterConfig, SenderFilterConfig,
// RecipientFilterConfig, SenderIdConfig, and for each of the IP Block and
// IP Allow lists its Config, Entries (IPRange, ExpirationTime in RFC 3339
// UTC or null) and Providers in priority order.
func (c *Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.document()) }

// WriteText prints the configuration as the reference system's shell shows
// it, one section per Get- cmdlet piped to Format-List.
func (c *Config) WriteText(w io.Writer) error {
	d := c.document()
	var b strings.Builder
	section := func(title string, v reflect.Value) {
		fmt.Fprintf(&b, "# %s | Format-List\n\n", title)
		if v.Kind() != reflect.Slice {
			formatList(&b, v)
			return
		}
		for i := range v.Len() {
			formatList(&b, v.Index(i))
		}
	}
	section("Get-SendConnector", reflect.ValueOf(d.SendConnectors))
	section("Get-ReceiveConnector", reflect.ValueOf(d.ReceiveConnectors))
	section("Get-AcceptedDomain", reflect.ValueOf(d.AcceptedDomains))
	section("Get-TransportServer", reflect.ValueOf(d.TransportServer))
	section("Get-TransportConfig", reflect.ValueOf(d.TransportConfig))
	section("Get-ContentFilterConfig", reflect.ValueOf(d.ContentFilterConfig))
	section("Get-SenderFilterConfig", reflect.ValueOf(d.SenderFilterConfig))
	section("Get-RecipientFilterConfig", reflect.ValueOf(d.RecipientFilterConfig))
	section("Get-SenderIdConfig", reflect.ValueOf(d.SenderIdConfig))
	section("Get-IPBlockListConfig", reflect.ValueOf(d.IPBlockListConfig))
	section("Get-IPBlockListEntry", reflect.ValueOf(d.IPBlockListEntries))
	section("Get-IPBlockListProvider", reflect.ValueOf(d.IPBlockListProviders))
	section("Get-IPAllowListConfig", reflect.ValueOf(d.IPAllowListConfig))
	section("Get-IPAllowListEntry", reflect.ValueOf(d.IPAllowListEntries))
	section("Get-IPAllowListProvider", reflect.ValueOf(d.IPAllowListProviders))
	_, err := io.WriteString(w, b.String())
	return err
}

// formatList prints one object as "Name : value" lines, names padded to
// the longest, multi-valued properties as {a, b}.
func formatList(b *strings.Builder, v reflect.Value) {
	t := v.Type()
	width := 0
	for i := range t.NumField() {
		width = max(width, len(t.Field(i).Name))
	}
	for i := range t.NumField() {
		fmt.Fprintf(b, "%-*s : %s\n", width, t.Field(i).Name, formatValue(v.Field(i)))
	}
	b.WriteByte('\n')
}

func formatValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.Type().Elem().Kind() == reflect.Int64 {
			return "Unlimited"
		}
		if v.IsNil() {
			return ""
		}
		return formatValue(v.Elem())
	case reflect.Bool:
		if v.Bool() {
			return "True"
		}
		return "False"
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct: // a permission
		p := v.Interface().(permissionDoc)
		verb := map[[2]bool]string{{false, false}: "Allow", {true, false}: "Deny", {false, true}: "Remove",
			{true, true}: "Remove Deny"}[[2]bool{p.Deny, p.Remove}]
		return fmt.Sprintf("%s %s: %s", verb, p.User, strings.Join(p.ExtendedRights, ", "))
	}
	return fmt.Sprint(v.Interface())
}
