package cmdlet

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/hubedge/hubedge/connector"
)

// Script writes the configuration back as a cmdlet script: every property
// written out, so that applying it to the same starting Config (and
// Options) gives a Config with the same JSON. Credentials appear as their
// `$name = Get-Credential` variables, never as passwords.
func (c *Config) Script() []byte {
	var w scriptWriter
	seen := map[string]bool{}
	for _, s := range c.SendConnectors {
		if v := s.CredentialVar; v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			fmt.Fprintf(&w.b, "$%s = Get-Credential\n", v)
		}
	}
	for _, d := range c.AcceptedDomains {
		w.cmd("New-AcceptedDomain")
		w.param("Name", quoteArg(d.Name))
		w.param("DomainName", quoteArg(d.Domain))
		w.param("DomainType", d.Type.String())
		w.end()
	}
	// Receive connectors first: a send connector may link to one.
	for _, r := range c.ReceiveConnectors {
		w.receive(r)
	}
	for _, s := range c.SendConnectors {
		w.send(s)
	}
	if t := c.TransportServer; t.Identity != "" {
		d := c.document().TransportServer
		w.cmd("Set-TransportServer")
		w.param("Identity", quoteArg(t.Identity))
		w.param("TransientFailureRetryCount", strconv.Itoa(t.TransientFailureRetryCount))
		w.param("TransientFailureRetryInterval", quoteArg(d.TransientFailureRetryInterval))
		w.param("OutboundConnectionFailureRetryInterval", quoteArg(d.OutboundConnectionFailureRetryInterval))
		w.param("MessageRetryInterval", quoteArg(d.MessageRetryInterval))
		w.param("MessageExpirationTimeout", quoteArg(d.MessageExpirationTimeout))
		w.param("DelayNotificationTimeout", quoteArg(d.DelayNotificationTimeout))
		w.param("QueueMaxIdleTime", quoteArg(d.QueueMaxIdleTime))
		w.param("MaxOutboundConnections", limitArg(t.MaxOutboundConnections))
		w.param("MaxPerDomainOutboundConnections", limitArg(t.MaxPerDomainOutboundConnections))
		w.param("PoisonThreshold", strconv.Itoa(t.PoisonThreshold))
		w.optional("ReceiveProtocolLogPath", t.ReceiveProtocolLogPath)
		w.optional("SendProtocolLogPath", t.SendProtocolLogPath)
		w.optional("MessageTrackingLogPath", t.MessageTrackingLogPath)
		w.boolean("MessageTrackingLogSubjectLoggingEnabled", t.MessageTrackingLogSubjectLoggingEnabled)
		w.optional("PickupDirectoryPath", t.PickupDirectoryPath)
		w.end()
	}
	tc := c.TransportConfig
	w.cmd("Set-TransportConfig")
	w.param("MaxReceiveSize", limitArg(tc.MaxReceiveSize))
	w.param("MaxSendSize", limitArg(tc.MaxSendSize))
	w.param("MaxRecipientEnvelopeLimit", limitArg(tc.MaxRecipientEnvelopeLimit))
	w.end()
	w.antispam(c)
	return w.b.Bytes()
}

// antispam writes the Set-*Config lines whose settings differ from the
// defaults, then each IP list's entries and providers. An entry's Identity
// is given again in order, so after a Remove- of one that was not the
// last the identities of the script read back are renumbered.
func (w *scriptWriter) antispam(c *Config) {
	d, def := c.document(), NewConfig(false).document()
	w.config("Set-ContentFilterConfig", d.ContentFilterConfig, def.ContentFilterConfig)
	w.config("Set-SenderFilterConfig", d.SenderFilterConfig, def.SenderFilterConfig)
	w.config("Set-RecipientFilterConfig", d.RecipientFilterConfig, def.RecipientFilterConfig)
	w.config("Set-SenderIdConfig", d.SenderIdConfig, def.SenderIdConfig)
	w.config("Set-IPBlockListConfig", d.IPBlockListConfig, def.IPBlockListConfig)
	toggles := func(c IPListConfig) any { // the allow list has no responses
		return struct{ Enabled, ExternalMailEnabled, InternalMailEnabled bool }{c.Enabled, c.ExternalMailEnabled, c.InternalMailEnabled}
	}
	w.config("Set-IPAllowListConfig", toggles(d.IPAllowListConfig), toggles(def.IPAllowListConfig))
	for _, l := range []struct {
		kind      string
		entries   []entryDoc
		providers []providerDoc
	}{{"IPBlockList", d.IPBlockListEntries, d.IPBlockListProviders}, {"IPAllowList", d.IPAllowListEntries, d.IPAllowListProviders}} {
		for _, e := range l.entries {
			w.cmd("Add-" + l.kind + "Entry")
			w.param("IPRange", quoteArg(e.IPRange))
			if e.ExpirationTime != nil {
				w.param("ExpirationTime", quoteArg(*e.ExpirationTime))
			}
			if e.Comment != nil {
				w.param("Comment", quoteArg(*e.Comment))
			}
			w.end()
		}
		for _, p := range l.providers {
			w.cmd("Add-" + l.kind + "Provider")
			w.param("Name", quoteArg(p.Name))
			w.param("LookupDomain", quoteArg(p.LookupDomain))
			w.boolean("AnyMatch", p.AnyMatch)
			if p.BitmaskMatch != nil {
				w.param("BitmaskMatch", *p.BitmaskMatch)
			}
			w.list("IPAddressesMatch", p.IPAddressesMatch)
			w.param("Priority", strconv.Itoa(p.Priority))
			if p.RejectionResponse != nil {
				w.param("RejectionResponse", quoteArg(*p.RejectionResponse))
			}
			w.boolean("Enabled", p.Enabled)
			w.end()
		}
	}
}

// config writes cmdlet with every field of v, a struct of bools, ints,
// strings and string lists, unless v is the default def. Export applies to
// a new Config, so an empty list needs no parameter.
func (w *scriptWriter) config(cmdlet string, v, def any) {
	if reflect.DeepEqual(v, def) {
		return
	}
	w.cmd(cmdlet)
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		name, f := rv.Type().Field(i).Name, rv.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			w.boolean(name, f.Bool())
		case reflect.Int:
			w.param(name, strconv.FormatInt(f.Int(), 10))
		case reflect.String:
			w.param(name, quoteArg(f.String()))
		case reflect.Slice:
			w.list(name, f.Interface().([]string)) // empty is the default
		}
	}
	w.end()
}

type scriptWriter struct{ b bytes.Buffer }

func (w *scriptWriter) cmd(name string) { w.b.WriteString(name) }

func (w *scriptWriter) param(name, value string) {
	fmt.Fprintf(&w.b, " -%s %s", name, value)
}

func (w *scriptWriter) optional(name, value string) {
	if value != "" {
		w.param(name, quoteArg(value))
	}
}

func (w *scriptWriter) list(name string, items []string) {
	if len(items) == 0 {
		return
	}
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = quoteArg(it)
	}
	w.param(name, strings.Join(q, ","))
}

func (w *scriptWriter) boolean(name string, v bool) {
	w.param(name, map[bool]string{true: "$true", false: "$false"}[v])
}

func (w *scriptWriter) end() { w.b.WriteByte('\n') }

// quoteArg writes s as a single-quoted string, which has no escapes but
// the doubled quote.
func quoteArg(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func limitArg(l Limit) string {
	if l == Unlimited {
		return "unlimited"
	}
	return strconv.FormatInt(int64(l), 10)
}

func countArg(n int64) string {
	if n == connector.Unlimited {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}

func (w *scriptWriter) permissions(get, id string, ps []permissionDoc) {
	for _, p := range ps {
		verb := "Add-ADPermission"
		if p.Remove {
			verb = "Remove-ADPermission"
		}
		fmt.Fprintf(&w.b, "%s %s | %s", get, quoteArg(id), verb)
		w.param("User", quoteArg(p.User))
		w.list("ExtendedRights", p.ExtendedRights)
		if p.Deny {
			w.b.WriteString(" -Deny")
		}
		w.end()
	}
}

func (w *scriptWriter) receive(r *ReceiveConnector) {
	d := receiveDocOf(r)
	w.cmd("New-ReceiveConnector")
	w.param("Name", quoteArg(d.Name))
	w.param("Usage", d.Usage)
	w.optional("Server", r.Config.Server)
	w.list("Bindings", d.Bindings)
	w.list("RemoteIPRanges", d.RemoteIPRanges)
	w.param("AuthMechanism", quoteArg(d.AuthMechanism))
	w.param("PermissionGroups", quoteArg(d.PermissionGroups))
	w.optional("Banner", r.Config.Banner)
	w.optional("Fqdn", r.Config.Fqdn)
	w.boolean("Enabled", d.Enabled)
	w.boolean("RequireTLS", d.RequireTLS)
	w.boolean("RequireEHLODomain", d.RequireEHLODomain)
	w.boolean("DomainSecureEnabled", d.DomainSecureEnabled)
	w.param("MaxMessageSize", strconv.FormatInt(*d.MaxMessageSize, 10))
	w.param("MaxHeaderSize", strconv.FormatInt(*d.MaxHeaderSize, 10))
	w.param("MaxRecipientsPerMessage", strconv.Itoa(d.MaxRecipientsPerMessage))
	c := r.Connector.Config()
	w.param("MaxInboundConnection", countArg(int64(c.MaxInboundConnection)))
	w.param("MaxInboundConnectionPerSource", countArg(int64(c.MaxInboundConnectionPerSource)))
	w.param("MaxHopCount", strconv.Itoa(d.MaxHopCount))
	w.param("MaxLocalHopCount", strconv.Itoa(d.MaxLocalHopCount))
	w.param("MaxProtocolErrors", countArg(int64(c.MaxProtocolErrors)))
	w.param("MaxLogonFailures", strconv.Itoa(d.MaxLogonFailures))
	w.param("TarpitInterval", quoteArg(d.TarpitInterval))
	w.param("ConnectionTimeout", quoteArg(d.ConnectionTimeout))
	w.param("ConnectionInactivityTimeout", quoteArg(d.ConnectionInactivityTimeout))
	w.param("ProtocolLoggingLevel", d.ProtocolLoggingLevel)
	w.optional("Comment", c.Comment)
	w.end()
	w.permissions("Get-ReceiveConnector", receiveID(r), d.Permissions)
}

func (w *scriptWriter) send(s *SendConnector) {
	d := sendDocOf(s)
	c := s.Connector.Config()
	w.cmd("New-SendConnector")
	w.param("Name", quoteArg(d.Name))
	w.param("Usage", d.Usage)
	w.list("AddressSpaces", d.AddressSpaces)
	w.list("SmartHosts", d.SmartHosts)
	w.boolean("DNSRoutingEnabled", d.DNSRoutingEnabled)
	w.param("SmartHostAuthMechanism", d.SmartHostAuthMechanism)
	if s.CredentialVar != "" {
		w.param("AuthenticationCredential", "$"+s.CredentialVar)
	}
	w.boolean("RequireTLS", d.RequireTLS)
	w.boolean("IgnoreSTARTTLS", d.IgnoreSTARTTLS)
	w.optional("TlsAuthLevel", c.TlsAuthLevel.String())
	w.optional("TlsDomain", c.TlsDomain)
	w.boolean("DomainSecureEnabled", d.DomainSecureEnabled)
	w.boolean("UseExternalDNSServersEnabled", d.UseExternalDNSServersEnabled)
	w.optional("Fqdn", c.Fqdn)
	w.param("Port", strconv.Itoa(d.Port))
	w.boolean("Enabled", d.Enabled)
	w.boolean("IsScopedConnector", d.IsScopedConnector)
	w.list("SourceTransportServers", d.SourceTransportServers)
	w.param("MaxMessageSize", countArg(c.MaxMessageSize))
	w.param("ConnectionInactivityTimeOut", quoteArg(d.ConnectionInactivityTimeOut))
	w.param("SmtpMaxMessagesPerConnection", strconv.Itoa(d.SmtpMaxMessagesPerConnection))
	w.param("ProtocolLoggingLevel", d.ProtocolLoggingLevel)
	w.optional("LinkedReceiveConnector", c.LinkedReceiveConnector)
	w.optional("Comment", c.Comment)
	w.boolean("DaneEnabled", d.DaneEnabled)
	w.boolean("MtaStsEnabled", d.MtaStsEnabled)
	w.end()
	w.permissions("Get-SendConnector", d.Name, d.Permissions)
}
